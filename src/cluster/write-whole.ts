import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";

/**
 * Writes `text` to `path` whole or not at all: a temporary file beside it, fsynced, renamed over
 * it, readable by its owner only (a placement file holds the cluster's secret; a move's journal
 * says what a kill must not lose).
 */
export function writeWhole(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
