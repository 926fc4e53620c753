import { statSync } from "node:fs";
import { relative } from "node:path";
import type { Tenant } from "./catalog-schema.ts";
import type { Shard } from "./shard.ts";

/**
 * A quarter of SQLite's own automatic checkpoint threshold (1000 pages of 4 KiB): what is left in
 * the log is copied back on this thread when the shard closes (measured on a loaded 2-core box:
 * ~30 ms for 256 pages, ~90 ms for 1,000), and a checkpoint in the pool costs this thread nothing.
 */
export const WAL_CHECKPOINT_BYTES = 1024 * 1024;
/** A stat() of the -wal costs ~2–6 µs: once a second per active workspace is nothing. */
export const WAL_CHECK_MS = 1000;

/** Runs a checkpoint of a tenant's file elsewhere (the server: a task of its worker pool). */
export type CheckpointHook = (tenant: Pick<Tenant, "id" | "slug" | "file">) => Promise<unknown>;

/** The size of an open shard's write-ahead log, 0 when it has none. */
export function walBytes(shard: Shard): number {
  return statSync(`${shard.path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * When the shard manager's files are opened without automatic checkpoints (whose copy of the
 * write-ahead log back into the file would run on the server's thread: 0.3–0.8 s after a
 * worker's big write), this decides when to ask `hook` for one: after a request lets go of a
 * shard whose -wal grew past the bound (one stat, at most every `checkMs` per workspace), and
 * before an idle shard is closed. One at a time per workspace; a refused one (the pool busy) is
 * asked again at a later look. The writes of this thread and of workers alike grow the log;
 * this thread never copies it back.
 */
export class WalCheckpoints {
  private readonly dataDir: string;
  private readonly now: () => number;
  private readonly bound: number;
  private readonly checkMs: number;
  private readonly checkedAt = new WeakMap<Shard, number>();
  /** When a checkpoint was asked for an idle shard before closing it (see waitBeforeClose). */
  private readonly askedBeforeClose = new WeakMap<Shard, number>();
  /** The workspaces with a checkpoint asked for and not yet done: never two at once. */
  private readonly running = new Set<string>();
  /** Checkpoints asked of the hook since start. */
  asked = 0;

  constructor(
    private readonly hook: CheckpointHook,
    options: { dataDir: string; now: () => number; walBytes?: number; checkMs?: number },
  ) {
    this.dataDir = options.dataDir;
    this.now = options.now;
    this.bound = options.walBytes ?? WAL_CHECKPOINT_BYTES;
    this.checkMs = options.checkMs ?? WAL_CHECK_MS;
  }

  /** Checkpoints asked and not yet settled. */
  get pending(): number {
    return this.running.size;
  }

  /** A request let go of `shard`: asks for a checkpoint if its log has grown past the bound. */
  afterRelease(shard: Shard): void {
    if (!shard.path || this.running.has(shard.tenant.id)) return;
    const now = this.now();
    const last = this.checkedAt.get(shard);
    if (last !== undefined && now - last < this.checkMs) return;
    this.checkedAt.set(shard, now);
    if (walBytes(shard) < this.bound) return;
    this.ask(shard);
  }

  /**
   * Whether an idle shard waits for a checkpoint before closing: its log is not empty and none
   * was asked since its last use (one is asked now). Asked once, it closes whatever came of it.
   */
  waitBeforeClose(shard: Shard): boolean {
    if (!shard.path) return false;
    if (this.running.has(shard.tenant.id)) return true;
    const asked = this.askedBeforeClose.get(shard);
    if (asked !== undefined && asked >= shard.lastUsedAt) return false;
    if (walBytes(shard) === 0) return false;
    this.askedBeforeClose.set(shard, this.now());
    this.ask(shard);
    return true;
  }

  private ask(shard: Shard): void {
    if (!shard.path) return;
    const { id, slug } = shard.tenant;
    this.running.add(id);
    this.asked++;
    let asked: Promise<unknown>;
    try {
      asked = this.hook({ id, slug, file: relative(this.dataDir, shard.path) });
    } catch (error) {
      asked = Promise.reject(error);
    }
    // A refusal or a failure is the hook's to report; the next look, checkMs after this one
    // settled, asks again.
    void asked
      .catch(() => {})
      .finally(() => {
        this.running.delete(id);
        this.checkedAt.set(shard, this.now());
      });
  }
}
