/** Where a command's progress goes: stderr, so stdout can carry its output (a CSV). */
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

const BAR_WIDTH = 30;
/** Plain lines at most this often (a log file wants a few lines, not thousands). */
const LINE_EVERY_MS = 2_000;
/** A bar redrawn at most this often. */
const BAR_EVERY_MS = 100;

const count = (n: number) => n.toLocaleString("en-US");

/**
 * A command's progress: on a terminal, one bar redrawn in place; otherwise (a pipe, a log, a
 * cron mail) a plain line now and then ("contacts: 20,000 of 100,000 (20%)"), and always the
 * last one.
 */
export class ProgressLine {
  private last = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly unit: string,
    private readonly out: ProgressSink = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `done` of `total` (total unknown: 0). */
  update(done: number, total: number, force = false): void {
    const now = this.now();
    if (!force && now - this.last < (this.out.isTTY ? BAR_EVERY_MS : LINE_EVERY_MS)) return;
    this.last = now;
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const figures =
      total > 0
        ? `${count(done)} of ${count(total)} ${this.unit} (${Math.floor(share * 100)}%)`
        : `${count(done)} ${this.unit}`;
    if (this.out.isTTY) {
      const filled = Math.round(share * BAR_WIDTH);
      this.out.write(
        `\r${this.label} [${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${figures}\x1b[K`,
      );
      this.drawn = true;
    } else {
      this.out.write(`${this.label}: ${figures}\n`);
    }
  }

  /** The end: the last figures, then a line of its own. */
  finish(message: string): void {
    if (this.drawn) this.out.write("\n");
    this.out.write(`${message}\n`);
  }
}
