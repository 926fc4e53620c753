/**
 * SQLite's "database is locked": another connection (a worker task, another process) holds the
 * write lock longer than this connection's busy timeout. Nothing of the statement was written.
 */
export function isLocked(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT" || code === "SQLITE_LOCKED";
}
