import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { threadId } from "node:worker_threads";

/*
 * Writing a file so that it survives a crash and a power cut, the one place the product does it:
 * whole or not at all over an old one (writeFileDurably: the placement file, a move's journal,
 * the warehouse's manifest and lock, the union run's results, the front's nginx config), as a
 * new file (writeNewFileDurably: a snapshot's manifest, the warehouse's key), and the fsync of a
 * path (fsyncPath: the export's batches, the backups' folders, an installed move).
 */

/** How a durable write leaves its file. */
export interface DurableWriteOptions {
  /** The new file's permission bits (less the umask), e.g. 0o600 for a secret; default 0o666. */
  mode?: number;
  /**
   * fsync the folder once the name is in place (default true): until then a power cut may lose
   * the new name (the old file comes back, or, for a new file, none at all).
   */
  syncFolder?: boolean;
}

/** Makes what `path` (a file or a folder) holds survive a power cut: an fsync of it. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `content` to the open file `fd`, fsyncs and closes it; throws on any failure. */
function writeAndSync(fd: number, content: string | Uint8Array): void {
  try {
    // writeFileSync, not writeSync: writeSync may write part (a full disk, a size limit) and only
    // say so in its return value; writeFileSync writes the rest or throws.
    writeFileSync(fd, content);
    // The bytes reach the disk before a name points at them: else a power cut just after the
    // rename (or link) could leave that name on an empty or half-written file.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `content` to `path` whole or not at all, over any file already there: under a temporary
 * name beside it (this process's and thread's own, so two writers never share one), fsynced,
 * renamed over `path` (atomic: a reader sees the old file or the new one), then the folder
 * fsynced unless `syncFolder: false`. On failure the temporary file is removed and `path` is as
 * it was.
 */
export function writeFileDurably(
  path: string,
  content: string | Uint8Array,
  options: DurableWriteOptions = {},
): void {
  const temporary = `${path}.${process.pid}.${threadId}.tmp`;
  const fd = openSync(temporary, "w", options.mode ?? 0o666);
  try {
    writeAndSync(fd, content);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  // The rename is an entry in the folder: only an fsync of the folder makes it survive a power cut.
  if (options.syncFolder !== false) fsyncPath(dirname(path));
}

/**
 * Writes `content` to a new file `path`, never over one (EEXIST if it exists: the first of two
 * writers wins), fsynced, then the folder fsynced unless `syncFolder: false`. There is no
 * temporary name, so a crash midway may leave a short file at `path`; a failure that throws
 * removes it. For a file that is itself a part renamed or linked later, or one made once.
 */
export function writeNewFileDurably(
  path: string,
  content: string | Uint8Array,
  options: DurableWriteOptions = {},
): void {
  // Throws EEXIST before anything is written when the file exists: not ours to remove.
  const fd = openSync(path, "wx", options.mode ?? 0o666);
  try {
    writeAndSync(fd, content);
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  }
  // The new name is an entry in the folder: only an fsync of the folder makes it survive a power cut.
  if (options.syncFolder !== false) fsyncPath(dirname(path));
}
