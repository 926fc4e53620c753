import type { Database, Statement } from "bun:sqlite";
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, renameSync, statSync } from "node:fs";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { randomToken } from "../core/tokens.ts";
import type { Tenant } from "./catalog-schema.ts";
import { drizzleOver, runInTransaction } from "./open-database.ts";
import { timed } from "./query-timing.ts";
import { type FileIdentity, ShardFaultError } from "./shard-faults.ts";
import { WorkspaceFrozenError } from "./write-freeze.ts";

export type TenantRef = Pick<Tenant, "id" | "slug">;

let commits = 0;

/** Write transactions committed through any shard of this process (what tells a full disk has recovered). */
export function commitCount(): number {
  return commits;
}

/**
 * What one request did to its workspace's file, as far as replaying it goes: a request refused
 * because the file was locked is run again only if it committed nothing (src/app/retry-when-busy.ts).
 */
export interface RequestWrites {
  /**
   * Write transactions committed through shard.transaction while serving the request, and
   * worker tasks it ran (they may commit on its behalf, in another thread). The
   * bookkeeping writes made outside one (a session's last-seen time) are not counted: made
   * twice, they change nothing.
   */
  commits: number;
  /** Its answer is the "workspace busy" 503: a lock wait ran out (set by the error funnel). */
  busy: boolean;
}

const requestWrites = new AsyncLocalStorage<RequestWrites>();

/** Runs `fn` (a request) with `writes` counting every transaction committed in it and in what it awaits. */
export function recordingWrites<T>(writes: RequestWrites, fn: () => T): T {
  return requestWrites.run(writes, fn);
}

/** The current request's record, when it runs under recordingWrites. */
export function currentRequestWrites(): RequestWrites | undefined {
  return requestWrites.getStore();
}

/**
 * One open tenant file. Statements are prepared once per open shard (saving ~40–60 µs per
 * query over preparing per request) and die with the handle, because a prepared statement
 * belongs to one connection. All of them live in bun:sqlite's `query()` cache (see drizzleOver).
 */
/** A write inside withoutSavepoints failed and was caught there: the whole was rolled back. */
export class NestedWriteFailedError extends Error {
  constructor() {
    super("a write inside withoutSavepoints failed; everything it wrote was rolled back");
  }
}

export class Shard {
  readonly db: BunSQLiteDatabase;
  /** Requests currently holding this shard; the manager never closes a shard in use. */
  holders = 0;
  /** Taken out of service (its file is not the one opened): closed when the last holder lets go. */
  retired = false;
  /** When a request last compared the path with the open file (see ShardManager.acquire). */
  identityCheckedAt = 0;
  /** The path names another file now, or none (see identityFault): what close() must clean up after. */
  moved = false;
  lastUsedAt = Date.now();
  private readonly memo = new Map<string, unknown>();
  private closed = false;
  /** Write transactions committed through this handle: with data_version, what caches key on. */
  private localWrites = 0;
  /** version(), for the rest of the current synchronous run. */
  private versionMemo: string | undefined;
  /** Inside withoutSavepoints: nested transactions join the enclosing one; `failed` once one threw. */
  private joined: { failed: boolean } | undefined;
  /**
   * Names this open connection: version() is only comparable within one connection (a reopened
   * file starts its data_version and write count again), so whatever leaves the process keyed
   * on a version (a page's ETag) carries this too. Random, so a restart or another process
   * never matches.
   */
  readonly connectionId = randomToken(9);

  constructor(
    readonly tenant: TenantRef,
    readonly sqlite: Database,
    /** The file's path and the identity it had when opened (none: not checked, e.g. a test's in-memory shard). */
    readonly path?: string,
    readonly identity?: FileIdentity,
  ) {
    this.db = drizzleOver(sqlite);
  }

  /**
   * Why the path no longer names the file this handle has open (deleted, or another file moved
   * or copied there), or undefined: writes through a handle on a deleted file would be
   * acknowledged and then lost. One stat() of the path (~1–2 µs).
   */
  identityFault(): string | undefined {
    if (!this.path || !this.identity) return undefined;
    const now = statSync(this.path, { throwIfNoEntry: false });
    if (!now) return "the workspace's file was deleted while open";
    if (now.ino !== this.identity.ino || now.dev !== this.identity.dev)
      return "the workspace's file was replaced by another file while open";
    return undefined;
  }

  /** A raw statement prepared once per open shard. `sql` must be a constant or built from allow-listed parts. */
  statement(sql: string): Statement {
    return timed(this.sqlite.query(sql));
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
   * outside transaction() (last-seen times, a background task's progress) deliberately do not
   * change it: nothing they write may show on a page that is cached or tagged. Per connection:
   * a page's ETag carries connectionId with it.
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
    const joined = this.joined;
    if (joined) {
      try {
        return fn();
      } catch (error) {
        joined.failed = true;
        throw error;
      }
    }
    const outermost = !this.sqlite.inTransaction;
    const result = runInTransaction(this.sqlite, () => {
      const result = fn();
      if (outermost) {
        // The last moment a write can still be refused rather than acknowledged into a lost file.
        const fault = this.identityFault();
        if (fault) throw new ShardFaultError(this.tenant.id, fault);
        // Read inside BEGIN IMMEDIATE: a freeze (a move to another host) committed by any
        // process before this write took the lock is seen here, so no write lands after it.
        const state = this.statement(
          "UPDATE shard_state SET change_counter = change_counter + 1 WHERE id = 1 RETURNING frozen_since AS frozen",
        ).get() as { frozen: number | null } | null;
        if (state?.frozen != null) throw new WorkspaceFrozenError();
        this.localWrites++;
        commits++;
        this.versionMemo = undefined;
      }
      return result;
    });
    // Counted once COMMIT has returned: a commit that failed (rolled back) leaves the request replayable.
    if (outermost) {
      const writes = requestWrites.getStore();
      if (writes) writes.commits++;
    }
    return result;
  }

  /**
   * Runs `fn` in one savepoint of the current transaction, the transaction() calls it makes
   * joining that savepoint instead of each opening its own (a savepoint and its release cost
   * ~30 µs per record in a batch of writes). For a caller that wants all of `fn` or nothing: if
   * any nested call throws (even when `fn` catches it), everything `fn` wrote is rolled back
   * and a NestedWriteFailedError is thrown (or the error itself, when `fn` lets it through).
   */
  withoutSavepoints<T>(fn: () => T): T {
    if (!this.sqlite.inTransaction || this.joined)
      throw new Error("withoutSavepoints: only inside a transaction, once");
    return this.transaction(() => {
      const joined = { failed: false };
      this.joined = joined;
      try {
        const result = fn();
        if (joined.failed) throw new NestedWriteFailedError();
        return result;
      } finally {
        this.joined = undefined;
      }
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
    // Except when the file was deleted or replaced: SQLite then leaves the WAL, which is the
    // old file's, and whoever opened the path next would apply its pages to the new file (a
    // restored backup, or another workspace's file). Set aside, it is kept for an operator.
    if (this.moved && this.path) {
      const aside = `.orphaned-${Date.now()}`;
      for (const suffix of ["-wal", "-shm"]) {
        if (existsSync(this.path + suffix)) renameSync(this.path + suffix, this.path + suffix + aside);
      }
    }
  }
}
