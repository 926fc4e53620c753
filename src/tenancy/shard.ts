import type { Database, Statement } from "bun:sqlite";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type { Tenant } from "./catalog-schema.ts";
import { drizzleOver, runInTransaction } from "./open-database.ts";

export type TenantRef = Pick<Tenant, "id" | "slug">;

/**
 * One open tenant file. Statements are prepared once per open shard (saving ~40–60 µs per
 * query over preparing per request) and die with the handle, because a prepared statement
 * belongs to one connection. All of them live in bun:sqlite's `query()` cache (see drizzleOver).
 */
export class Shard {
  readonly db: BunSQLiteDatabase;
  /** Requests currently holding this shard; the manager never closes a shard in use. */
  holders = 0;
  lastUsedAt = Date.now();
  private readonly memo = new Map<string, unknown>();
  private closed = false;
  /** Write transactions committed through this handle: with data_version, what caches key on. */
  private localWrites = 0;
  /** version(), for the rest of the current synchronous run. */
  private versionMemo: string | undefined;

  constructor(
    readonly tenant: TenantRef,
    readonly sqlite: Database,
  ) {
    this.db = drizzleOver(sqlite);
  }

  /** A raw statement prepared once per open shard. `sql` must be a constant or built from allow-listed parts. */
  statement(sql: string): Statement {
    return this.sqlite.query(sql);
  }

  /** A value (usually a drizzle prepared query) built once per open shard under `key`. */
  cached<T>(key: string, build: (shard: Shard) => T): T {
    let value = this.memo.get(key) as T | undefined;
    if (value === undefined) {
      value = build(this);
      this.memo.set(key, value);
    }
    return value;
  }

  /**
   * What in-process caches key on: changes on any commit by another connection (PRAGMA
   * data_version) and on any write transaction through this handle. Bookkeeping writes made
   * outside transaction() (last-seen times) deliberately do not change it. Per connection, so
   * ETags use changeCounter().
   */
  version(): string {
    // A request asks several times (session, counts, rendered fragments): read the file's
    // version once per synchronous run. The memo ends with the run (a microtask), and at every
    // commit through this handle, so a later read never misses a write.
    if (this.versionMemo !== undefined) return this.versionMemo;
    const version = `${this.statement("PRAGMA data_version").values()[0]?.[0]}.${this.localWrites}`;
    this.versionMemo = version;
    queueMicrotask(() => {
      this.versionMemo = undefined;
    });
    return version;
  }

  /** Bumped by every write transaction, in any process, and stored in the file: what ETags key on. */
  changeCounter(): number {
    const row = this.statement("SELECT change_counter AS n FROM shard_state WHERE id = 1").get() as {
      n: number;
    } | null;
    return row?.n ?? 0;
  }

  /**
   * Runs `fn` in one write transaction (nested calls become savepoints) and bumps the change
   * counters, so whatever was cached from this shard is stale from the commit on. Every write
   * that changes what a page could show goes through here.
   */
  transaction<T>(fn: () => T): T {
    const outermost = !this.sqlite.inTransaction;
    return runInTransaction(this.sqlite, () => {
      const result = fn();
      if (outermost) {
        this.statement("UPDATE shard_state SET change_counter = change_counter + 1 WHERE id = 1").run();
        this.localWrites++;
        this.versionMemo = undefined;
      }
      return result;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.memo.clear();
    // Closing the last connection checkpoints the WAL into the main file and removes it.
    this.sqlite.close(false);
  }
}
