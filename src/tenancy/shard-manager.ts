import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Tenant } from "./catalog-schema.ts";
import { loadMigrations, migrateDatabase, requireCurrentSchema, TENANT_MIGRATIONS } from "./migrations.ts";
import { openDatabase, openReadOnlyDatabase } from "./open-database.ts";
import { commitCount, Shard, type TenantRef } from "./shard.ts";
import {
  DiskFullError,
  isCorruption,
  isDiskFull,
  isIoErrorOnFullDisk,
  ShardFaultError,
  WorkspaceUnavailableError,
} from "./shard-faults.ts";
import { type CheckpointHook, WalCheckpoints, walBytes } from "./wal-checkpoints.ts";

export interface ShardManagerOptions {
  dataDir: string;
  /** Most shards open at once; each costs ~212 KB and 3 file descriptors. */
  maxOpen?: number;
  /** A shard unused for this long is closed by `closeIdle()`. */
  idleMs?: number;
  migrationsFolder?: string;
  /** The clock idle times are measured with (tests pass their own). */
  now?: () => number;
  /**
   * How long a statement waits for another connection's lock (default 5000 ms). The server's
   * thread uses a short one (CRM_BUSY_TIMEOUT_MS): the wait blocks every workspace.
   */
  busyTimeoutMs?: number;
  /** Open the files read-only, never migrating them (worker tasks that only read). */
  readonly?: boolean;
  /**
   * Told once per found fault that a tenant's file cannot be served (deleted, replaced, corrupt,
   * another tenant's): the server marks it failed in the catalog and logs it.
   */
  onFault?: (tenant: TenantRef, reason: string, found: ShardFault) => void;
  /**
   * Runs a checkpoint of the tenant's file elsewhere (the server: a task of its worker pool).
   * Given, the files are opened without automatic checkpoints and this is asked when a file's
   * write-ahead log has grown or before an idle file closes (wal-checkpoints.ts says when).
   */
  checkpoint?: CheckpointHook;
  /** The -wal size past which `checkpoint` is called (default WAL_CHECKPOINT_BYTES). */
  walCheckpointBytes?: number;
  /** How often a workspace's -wal size is looked at, at most (default WAL_CHECK_MS). */
  walCheckMs?: number;
}

export class ShardMismatchError extends Error {}

/** What was found wrong with a tenant's file, and where the file is. */
export interface ShardFault {
  /** SQLite said the file is damaged (worth a quick_check), as opposed to gone, moved or someone else's. */
  corrupt: boolean;
  path: string;
}

/** How often a request re-checks that an open shard's path still names its file (writes always do). */
export const IDENTITY_CHECK_MS = 1000;

/** Idle shards looked at, least recently used first, for one whose log is empty to close at the cap. */
const EVICTION_LOOKAHEAD = 8;

/**
 * Opens tenant files on demand and keeps at most `maxOpen` of them open, closing the least
 * recently used idle one to make room. A shard is migrated when it is opened at an older
 * schema version, so thousands of shards never have to migrate at start-up.
 *
 * The Map's insertion order is the LRU order: a touched shard is moved to the end.
 */
export class ShardManager {
  readonly maxOpen: number;
  readonly idleMs: number;
  private readonly dataDir: string;
  private readonly migrationsFolder: string;
  private readonly now: () => number;
  private readonly busyTimeoutMs: number | undefined;
  private readonly readonly: boolean;
  private readonly onFault: ((tenant: TenantRef, reason: string, found: ShardFault) => void) | undefined;
  /** Checkpoints of the files in the pool (the `checkpoint` option), or none. */
  private readonly checkpoints: WalCheckpoints | undefined;
  private readonly open = new Map<string, Shard>();
  private sweeper: Timer | undefined;
  /** Shards opened since start, for /readyz and the tests that watch the cap. */
  opens = 0;
  /** When a write last failed for a full disk, and how many commits had succeeded then. */
  private diskFull: { at: number; commits: number } | undefined;

  constructor(options: ShardManagerOptions) {
    this.dataDir = options.dataDir;
    this.maxOpen = options.maxOpen ?? 512;
    this.idleMs = options.idleMs ?? 5 * 60_000;
    this.migrationsFolder = options.migrationsFolder ?? TENANT_MIGRATIONS;
    this.now = options.now ?? Date.now;
    this.busyTimeoutMs = options.busyTimeoutMs;
    this.readonly = options.readonly ?? false;
    this.onFault = options.onFault;
    this.checkpoints =
      options.checkpoint && !this.readonly
        ? new WalCheckpoints(options.checkpoint, {
            dataDir: this.dataDir,
            now: this.now,
            walBytes: options.walCheckpointBytes,
            checkMs: options.walCheckMs,
          })
        : undefined;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Checkpoints asked of the `checkpoint` option and not yet settled. */
  get checkpointsPending(): number {
    return this.checkpoints?.pending ?? 0;
  }

  /** Checkpoints asked of the `checkpoint` option since start (tests watch it). */
  get checkpointsAsked(): number {
    return this.checkpoints?.asked ?? 0;
  }

  isOpen(tenantId: string): boolean {
    return this.open.has(tenantId);
  }

  /** Returns the tenant's open shard (opening and migrating it if needed) and marks it held until `release()`. */
  acquire(tenant: Pick<Tenant, "id" | "slug" | "file">): Shard {
    let shard = this.open.get(tenant.id);
    if (shard?.path !== undefined && shard.path !== join(this.dataDir, tenant.file)) {
      // The catalog names another file for the workspace (it moved to another host and back under
      // a new name; or crm backup restore installed a snapshot beside it): this handle is the old
      // file's (its log is its own), closed once no one holds it, never checked against the new.
      this.closeTenant(tenant.id);
      shard = undefined;
    }
    if (shard) {
      // The path must still name the file we have open. Checked here at most every
      // IDENTITY_CHECK_MS (a stat() costs ~6 µs here, a fifth of the cheapest API read), and
      // before every commit (Shard.transaction), so no write is acknowledged into a lost file.
      const now = this.now();
      if (now - shard.identityCheckedAt >= IDENTITY_CHECK_MS) {
        shard.identityCheckedAt = now;
        const fault = shard.identityFault();
        if (fault) throw this.fault(shard.tenant, fault, true);
      }
      this.open.delete(tenant.id);
    } else {
      this.makeRoom();
      shard = this.openShard(tenant);
    }
    this.open.set(tenant.id, shard);
    shard.holders++;
    shard.lastUsedAt = this.now();
    return shard;
  }

  release(shard: Shard): void {
    shard.holders--;
    shard.lastUsedAt = this.now();
    if (shard.retired) {
      if (shard.holders === 0) shard.close();
      return;
    }
    this.checkpoints?.afterRelease(shard);
    // The cap may have been exceeded while every shard was held: shrink back now.
    if (shard.holders === 0 && this.open.size > this.maxOpen) this.makeRoom(0);
  }

  /** Runs `fn` with the tenant's shard held for its duration. */
  async use<T>(
    tenant: Pick<Tenant, "id" | "slug" | "file">,
    fn: (shard: Shard) => T | Promise<T>,
  ): Promise<T> {
    const shard = this.acquire(tenant);
    try {
      return await fn(shard);
    } finally {
      this.release(shard);
    }
  }

  /**
   * What an error met while using `shard` means for its workspace: a corrupt file (SQLite's
   * SQLITE_CORRUPT or SQLITE_NOTADB) or a file found replaced takes the workspace out of
   * service (closed here, reported through onFault) and becomes WorkspaceUnavailableError;
   * any other error is returned as it is.
   */
  classify(shard: Pick<Shard, "tenant" | "path">, error: unknown): unknown {
    if (isDiskFull(error)) {
      this.diskFull = { at: this.now(), commits: commitCount() };
      return new DiskFullError();
    }
    if (error instanceof ShardFaultError) return this.fault(shard.tenant, error.reason, true);
    if (isCorruption(error)) {
      const code = (error as { code: string }).code;
      const reason = `the workspace's file is damaged (${code}: ${String(error)})`;
      return this.fault(shard.tenant, reason, false, true, shard.path);
    }
    return error;
  }

  /**
   * Takes the tenant's shard out of service and reports why; what the request then answers.
   * `moved`: the path names another file now (or none), so the -wal and -shm beside it are the
   * old file's, and are set aside when the shard closes (see Shard.close).
   */
  private fault(
    tenant: TenantRef,
    reason: string,
    moved = false,
    corrupt = false,
    where?: string,
  ): WorkspaceUnavailableError {
    const shard = this.open.get(tenant.id);
    const path = where ?? shard?.path ?? "";
    if (shard) {
      this.open.delete(tenant.id);
      shard.retired = true;
      shard.moved = moved;
      if (shard.holders === 0) shard.close();
    }
    this.onFault?.(tenant, reason, { corrupt, path });
    return new WorkspaceUnavailableError();
  }

  /**
   * Takes the tenant's open shard (if any) out of this process's service without a fault: the
   * workspace left this host (`crm cluster move` retired it), so its file is about to be set
   * aside. Closed now, or when its last holder lets go.
   */
  closeTenant(tenantId: string): void {
    const shard = this.open.get(tenantId);
    if (!shard) return;
    this.open.delete(tenantId);
    shard.retired = true;
    if (shard.holders === 0) shard.close();
  }

  /**
   * Since when writes fail for a full disk, until a commit succeeds again (in any workspace of
   * this process): what /readyz reports as degraded.
   */
  diskFullSince(): number | undefined {
    if (this.diskFull && commitCount() === this.diskFull.commits) return this.diskFull.at;
    this.diskFull = undefined;
    return undefined;
  }

  /**
   * Closes shards nobody has used for `idleMs`. Closing the last connection to a file copies
   * what is left in its log back into it, on this thread: with the `checkpoint` option, a shard
   * whose log is not empty is first checkpointed in the pool and closed at a later sweep.
   */
  closeIdle(now = this.now()): number {
    let closed = 0;
    for (const [id, shard] of this.open) {
      if (shard.holders === 0 && now - shard.lastUsedAt >= this.idleMs) {
        if (this.checkpoints?.waitBeforeClose(shard)) continue;
        this.open.delete(id);
        shard.close();
        closed++;
      }
    }
    return closed;
  }

  /** Starts closing idle shards in the background; the timer never keeps the process alive. */
  startSweeping(intervalMs = Math.max(1000, Math.min(60_000, this.idleMs / 2))): void {
    this.sweeper ??= setInterval(() => this.closeIdle(), intervalMs);
    this.sweeper.unref();
  }

  /** Closes every shard (used at shutdown, after in-flight requests finished). */
  closeAll(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const shard of this.open.values()) shard.close();
    this.open.clear();
  }

  /**
   * Closes least recently used idle shards until `spare` more fit under the cap. A shard a
   * request holds is never closed: if all are held, the cap is exceeded until they are released.
   */
  private makeRoom(spare = 1): void {
    while (this.open.size + spare > this.maxOpen) {
      const shard = this.evictable();
      if (!shard) return;
      this.open.delete(shard.tenant.id);
      shard.close();
    }
  }

  /**
   * The least recently used idle shard; with the `checkpoint` option, among the first few idle
   * ones, one whose log is empty (checkpointed in the pool) if any: closing it copies nothing here.
   */
  private evictable(): Shard | undefined {
    let first: Shard | undefined;
    let looked = 0;
    for (const shard of this.open.values()) {
      if (shard.holders > 0) continue;
      if (!this.checkpoints || !shard.path) return shard;
      first ??= shard;
      if (walBytes(shard) === 0) return shard;
      if (++looked >= EVICTION_LOOKAHEAD) break;
    }
    return first;
  }

  private openShard(tenant: Pick<Tenant, "id" | "slug" | "file">): Shard {
    const path = join(this.dataDir, tenant.file);
    try {
      return this.openAt(tenant, path);
    } catch (error) {
      if (error instanceof ShardMismatchError) throw this.fault(tenant, error.message);
      if (isCorruption(error) || isDiskFull(error)) throw this.classify({ tenant, path }, error);
      if (isIoErrorOnFullDisk(error, this.dataDir)) {
        this.diskFull = { at: this.now(), commits: commitCount() };
        throw new DiskFullError();
      }
      // Only a file that is really gone: running out of descriptors fails the same way.
      if (!existsSync(path)) throw this.fault(tenant, `the workspace's file ${tenant.file} is missing`);
      throw error;
    }
  }

  private openAt(tenant: Pick<Tenant, "id" | "slug" | "file">, path: string): Shard {
    const sqlite = this.readonly
      ? openReadOnlyDatabase(path, { busyTimeoutMs: this.busyTimeoutMs })
      : openDatabase(path, {
          create: false,
          busyTimeoutMs: this.busyTimeoutMs,
          autoCheckpoint: this.checkpoints === undefined,
        });
    let identity: { dev: number; ino: number };
    try {
      // A reader cannot migrate: the server migrates a file when it first opens it, before any task runs.
      if (this.readonly) requireCurrentSchema(sqlite, loadMigrations(this.migrationsFolder));
      else migrateDatabase(sqlite, loadMigrations(this.migrationsFolder));
      const state = sqlite.query("SELECT tenant_id AS tenantId FROM shard_state WHERE id = 1").get() as {
        tenantId: string;
      } | null;
      // A catalog entry pointing at another tenant's file must never serve it.
      if (state?.tenantId !== tenant.id) {
        throw new ShardMismatchError(`shard ${tenant.file} does not belong to tenant ${tenant.id}`);
      }
      // The file as opened (checked above): every later acquire compares the path against it.
      const { dev, ino } = statSync(path);
      identity = { dev, ino };
    } catch (error) {
      sqlite.close(false);
      throw error;
    }
    this.opens++;
    const shard = new Shard({ id: tenant.id, slug: tenant.slug }, sqlite, path, identity);
    shard.identityCheckedAt = this.now();
    return shard;
  }
}
