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

  constructor(
    private readonly sink: LogSink = stdoutSink(),
    /** Fields every line carries (a process of a group: its place and pid). */
    private readonly base: LogFields = {},
  ) {}

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

  /** Whole lines another process logged (a group's, through its supervisor), passed on as they are. */
  forward(lines: string): void {
    this.sink.write(lines);
    this.schedule(lines.length);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
    this.sink.flush();
  }

  private write(level: string, msg: string, fields: LogFields): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.base, ...fields })}\n`;
    this.sink.write(line);
    this.schedule(line.length);
  }

  private schedule(bytes: number): void {
    this.pending += bytes;
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
