import { Database } from "bun:sqlite";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";

export interface OpenDatabaseOptions {
  /** Create the file if it is missing. Shards are opened with `false`, so a typo never makes an empty tenant. */
  create: boolean;
  busyTimeoutMs?: number;
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
    return sqlite;
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

/**
 * drizzle over `sqlite`, preparing every statement through bun:sqlite's `query()` cache: one
 * compiled statement per distinct SQL text, finalized by `close()`. A statement from
 * `prepare()` instead keeps the closed connection and its three file descriptors alive until
 * garbage collection (measured: 50 closed shards held 150 fds).
 */
export function drizzleOver(sqlite: Database): BunSQLiteDatabase {
  const client = {
    prepare: (sql: string) => sqlite.query(sql),
    exec: (sql: string) => sqlite.exec(sql),
    transaction: sqlite.transaction.bind(sqlite),
  } as unknown as Database;
  return drizzle({ client });
}
