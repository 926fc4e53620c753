export type LogFields = Record<string, unknown>;

export interface LogSink {
  write(chunk: string): void;
  flush(): void;
}

const FLUSH_INTERVAL_MS = 100;
const FLUSH_BYTES = 64 * 1024;

/** stdout through Bun's buffered writer: a write per request costs a syscall each; a batch every 100 ms does not. */
function stdoutSink(): LogSink {
  const writer = Bun.stdout.writer();
  return {
    write: (chunk) => void writer.write(chunk),
    flush: () => void writer.flush(),
  };
}

/**
 * Structured logs: one JSON object per line on stdout, for whatever collects them. Lines are
 * buffered and flushed every 100 ms, at 64 KB, and on `flush()` (called at shutdown).
 */
export class Logger {
  private pending = 0;
  private timer: Timer | undefined;

  constructor(private readonly sink: LogSink = stdoutSink()) {}

  info(msg: string, fields: LogFields = {}): void {
    this.write("info", msg, fields);
  }

  warn(msg: string, fields: LogFields = {}): void {
    this.write("warn", msg, fields);
  }

  error(msg: string, fields: LogFields = {}): void {
    this.write("error", msg, fields);
    this.flush();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
    this.sink.flush();
  }

  private write(level: string, msg: string, fields: LogFields): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`;
    this.sink.write(line);
    this.pending += line.length;
    if (this.pending >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }
}

/** Describes an error for a log line without losing its stack. */
export function errorFields(error: unknown): LogFields {
  return error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
}
