/**
 * Runs SQLite's quick_check over one file, read-only, on a thread of its own: a whole-file scan
 * that would hold the server's thread for seconds on a large workspace (see quick-check.ts).
 */
import { Database } from "bun:sqlite";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ path: string }>) => {
  let lines: string[];
  try {
    const db = new Database(event.data.path, { readonly: true });
    try {
      lines = (db.query("PRAGMA quick_check").values() as [unknown][]).map((row) => String(row[0]));
    } finally {
      db.close(false);
    }
  } catch (error) {
    lines = [String(error)];
  }
  postMessage(lines);
};
