import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

/** Writes `text` to a new file `path` (never over one), readable by this user only, fsynced. */
export function writeNewFile(path: string, text: string): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the names just linked or removed in `folder` survive a power cut. */
export function syncFolder(folder: string): void {
  const fd = openSync(folder, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
