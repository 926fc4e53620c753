import { chmodSync, closeSync, openSync } from "node:fs";
import type { FileSink } from "bun";
import { csvRow } from "../privacy/csv.ts";

/** What a cell of the report keeps of the original: enough to find the row, not a 5 MB copy. */
const REPORT_CELL = 1000;

/**
 * The report of rejected rows, written as the file is read: the row's number, why it was
 * rejected, then its cells as they were, so it can be fixed and imported again. CSV as the
 * exports write it (a formula-like cell gets a leading `'`).
 */
export class RejectedReport {
  private readonly sink: FileSink;
  private pending = "";

  constructor(path: string, header: string[]) {
    // Readable by the server's user only, as the uploads are: it holds the rows' personal data.
    closeSync(openSync(path, "w", 0o600));
    chmodSync(path, 0o600);
    this.sink = Bun.file(path).writer({ highWaterMark: 256 * 1024 });
    this.pending = csvRow(["Row", "Why it was not imported", ...header]);
  }

  add(row: number, reasons: string[], cells: string[]): void {
    const kept = cells.map((c) => (c.length > REPORT_CELL ? `${c.slice(0, REPORT_CELL)}…` : c));
    this.pending += csvRow([row, reasons.join("; "), ...kept]);
    if (this.pending.length > 64 * 1024) this.flushPending();
  }

  private flushPending(): void {
    this.sink.write(this.pending);
    this.pending = "";
  }

  async close(): Promise<void> {
    this.flushPending();
    await this.sink.end();
  }
}
