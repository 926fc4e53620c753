import { Database } from "bun:sqlite";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { timed } from "./query-timing.ts";

/**
 * bun:sqlite's query() cache holds 20 statements per connection by default and evicts the
 * least recently used: a list page alone uses more than that (list shapes, session, users,
 * tags, counts), so statements were being re-prepared on every request (~30–40 µs each).
 * A shard uses a few dozen distinct statements; 128 leaves room and bounds the memory.
 */
Database.MAX_QUERY_CACHE_SIZE = 128;

export interface OpenDatabaseOptions {
  /** Create the file if it is missing. Shards are opened with `false`, so a typo never makes an empty tenant. */
  create: boolean;
  busyTimeoutMs?: number;
  /**
   * Let a commit copy the write-ahead log back into the file once it passes 1000 pages (SQLite's
   * wal_autocheckpoint; default true). The server's thread turns it off: after a worker's big
   * write that copy took 0.3–0.8 s on it; its checkpoints run in the worker pool instead.
   */
  autoCheckpoint?: boolean;
}

/**
 * Opens a SQLite file with the settings every file of ours uses: WAL so readers never block
 * the writer, `synchronous=FULL` so an acknowledged commit survives power loss (invariant 8),
 * foreign keys on, and a busy timeout so a second process waits instead of failing.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions): Database {
  const sqlite = new Database(path, { create: options.create, readwrite: true, strict: true });
  try {
    sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    sqlite.run("PRAGMA journal_mode = WAL");
    sqlite.run("PRAGMA synchronous = FULL");
    sqlite.run("PRAGMA foreign_keys = ON");
    sqlite.run("PRAGMA temp_store = MEMORY");
    // Checkpoints truncate the WAL back to this size, so a burst of writes does not leave a huge file.
    sqlite.run("PRAGMA journal_size_limit = 67108864");
    if (options.autoCheckpoint === false) sqlite.run("PRAGMA wal_autocheckpoint = 0");
    return sqlite;
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

/**
 * Opens an existing file for reading only (a worker task that counts or exports): the same
 * busy timeout and memory settings, and `query_only`, so not even a bug can write through it.
 */
export function openReadOnlyDatabase(path: string, options: { busyTimeoutMs?: number } = {}): Database {
  const sqlite = new Database(path, { readonly: true, strict: true });
  try {
    sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    sqlite.run("PRAGMA query_only = ON");
    sqlite.run("PRAGMA temp_store = MEMORY");
    return sqlite;
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

/**
 * Runs `fn` in a transaction; nested calls become savepoints. `immediate` takes the write lock
 * up front, so a write transaction never fails half way on a lock upgrade.
 *
 * Every statement here comes from bun:sqlite's `query()` cache, which `close()` finalizes.
 * bun's own `db.transaction()` prepares BEGIN/COMMIT with `prepare()` and never finalizes
 * them, and any unfinalized statement keeps a closed connection (its WAL and three file
 * descriptors) alive until garbage collection: measured, 50 closed shards held 150 fds.
 */
export function runInTransaction<T>(
  sqlite: Database,
  fn: () => T,
  mode: "deferred" | "immediate" = "immediate",
): T {
  if (sqlite.inTransaction) {
    timed(sqlite.query("SAVEPOINT nested")).run();
    try {
      const result = fn();
      timed(sqlite.query("RELEASE nested")).run();
      return result;
    } catch (error) {
      timed(sqlite.query("ROLLBACK TO nested")).run();
      timed(sqlite.query("RELEASE nested")).run();
      throw error;
    }
  }
  timed(sqlite.query(mode === "immediate" ? "BEGIN IMMEDIATE" : "BEGIN")).run();
  try {
    const result = fn();
    timed(sqlite.query("COMMIT")).run();
    return result;
  } catch (error) {
    if (sqlite.inTransaction) timed(sqlite.query("ROLLBACK")).run();
    throw error;
  }
}

/** drizzle over `sqlite`, with every statement prepared through the `query()` cache (see runInTransaction). */
export function drizzleOver(sqlite: Database): BunSQLiteDatabase {
  const transaction = (fn: () => unknown) => {
    const run = (mode: "deferred" | "immediate") => () => runInTransaction(sqlite, fn, mode);
    return Object.assign(run("deferred"), {
      deferred: run("deferred"),
      immediate: run("immediate"),
      exclusive: run("immediate"),
    });
  };
  const client = {
    prepare: (sql: string) => timed(sqlite.query(sql)),
    exec: (sql: string) => sqlite.exec(sql),
    transaction,
  } as unknown as Database;
  return drizzle({ client });
}

/**
 * A stamp that changes whenever the database may have changed: a commit by any other
 * connection (PRAGMA data_version) or any write on this one (total_changes()). For in-process
 * caches: never stale; 6–7 µs a call on the 2-vCPU development machine (December 2026), so a
 * request reads it as few times as it can (Shard.version() keeps it for its synchronous run).
 */
export function connectionVersion(sqlite: Database): string {
  const row = sqlite
    .query("SELECT (SELECT data_version FROM pragma_data_version), total_changes()")
    .values()[0];
  return `${row?.[0]}.${row?.[1]}`;
}
