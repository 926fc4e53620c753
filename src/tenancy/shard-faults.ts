import { statfsSync } from "node:fs";
import { AppError, RetryLaterError } from "../core/errors.ts";

/** A workspace whose file cannot be trusted: 503 for it alone until an operator checks it (crm tenants check). */
export class WorkspaceUnavailableError extends RetryLaterError {
  constructor() {
    super(
      503,
      "this workspace is unavailable: its data needs an operator's attention, and nothing can be saved until then",
      60,
    );
    Object.defineProperty(this, "title", { value: "Workspace unavailable" });
  }
}

/** The tenant's file is not the one it should be: gone, replaced, corrupt or someone else's. */
export class ShardFaultError extends Error {
  constructor(
    readonly tenantId: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** SQLite's codes for a file that is damaged or is not a database at all. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

/** A file's identity: the same path can name another file after a delete, a move or a copy over it. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/** SQLite could not grow a file: the disk (or the file system holding the data directory) is full. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_FULL" || code === "ENOSPC";
}

/**
 * An I/O error while `dir`'s file system has less than a megabyte left: opening a file in WAL
 * mode must create its -wal and -shm, which fails as a generic "disk I/O error" on a full disk.
 */
export function isIoErrorOnFullDisk(error: unknown, dir: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_IOERR")) return false;
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 1024 * 1024;
  } catch {
    return false;
  }
}

/** 507: nothing was saved for lack of space; the same write can succeed once space is freed. */
export class DiskFullError extends AppError {
  readonly retryAfterSeconds = 60;
  constructor() {
    super(
      507,
      "Insufficient Storage",
      "the server's disk is full, so nothing was saved; try again in a few minutes (the operator has been told)",
    );
  }
}
