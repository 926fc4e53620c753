import { closeSync, existsSync, openSync, statSync, utimesSync } from "node:fs";
import { PoolBusyError } from "../core/errors.ts";
import { errorFields, type Logger } from "../core/logger.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { WorkerPool } from "../workers/pool.ts";
import { pruneSnapshots } from "./prune-snapshots.ts";
import { takeSnapshot } from "./take-snapshot.ts";

/** The timer wakes at least this often, so a suspended host or a clock change delays a round by a minute at most. */
const MAX_SLEEP_MS = 60_000;
/** With no round on record, the first comes this soon at most (a server restarted more often than the interval still backs up). */
const FIRST_ROUND_MS = 3600_000;
/** A workspace refused because the pool is busy is asked again after this wait, this many times. */
const BUSY_WAIT_MS = 5_000;
const BUSY_TRIES = 12;

export interface BackupSchedulerOptions {
  dir: string;
  /**
   * A file of this host's (in its data directory: the backup directory may be shared by
   * several hosts) whose time is when the last round started, so a restart does not postpone the next.
   */
  lastRoundFile: string;
  everyHours: number;
  keepDays: number;
  keepMin: number;
  /** The workspaces to back up at each round (those this host serves). */
  tenants: () => Tenant[];
  pool: Pick<WorkerPool, "run">;
  logger: Logger;
  /** This host's name in its cluster, for the manifests. */
  host?: string;
  now?: () => number;
}

/**
 * The server's scheduled snapshots (CRM_BACKUP_EVERY_HOURS): every interval, a round takes one
 * snapshot of each workspace of the host in the worker pool, one workspace at a time (each is
 * upkeep, so no workspace's share of the pool is taken and pages stay fast), then prunes that
 * workspace's old snapshots. An interval rather than a clock time: the recovery point a restore
 * can promise is then the interval, whatever the hour. One process per host runs it (the first
 * of a `--procs` group, like the nightly analytics run).
 */
export class BackupScheduler {
  private timer: Timer | undefined;
  private stopped = false;
  private next = 0;
  private round: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(private readonly options: BackupSchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.everyHours * 3600_000;
  }

  get nextRound(): number {
    return this.next;
  }

  start(): void {
    const last = statSync(this.options.lastRoundFile, { throwIfNoEntry: false })?.mtimeMs;
    const now = this.now();
    this.next =
      last === undefined
        ? now + Math.min(this.intervalMs, FIRST_ROUND_MS)
        : Math.max(now, last + this.intervalMs);
    this.options.logger.info("backup schedule", {
      everyHours: this.options.everyHours,
      dir: this.options.dir,
      nextRound: new Date(this.next).toISOString(),
    });
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(MAX_SLEEP_MS, this.next - this.now())));
    // The schedule alone never keeps a process alive.
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.now() < this.next || this.round) {
      this.arm();
      return;
    }
    const started = this.now();
    this.round = this.runRound()
      .catch((error) => this.options.logger.error("backup round failed", errorFields(error)))
      .finally(() => {
        this.round = undefined;
        this.next = Math.max(started + this.intervalMs, this.now());
        this.arm();
      });
  }

  /** One snapshot of each workspace, one after another; a workspace that fails is logged and the round goes on. */
  private async runRound(): Promise<void> {
    const { logger, dir } = this.options;
    const started = this.now();
    let taken = 0;
    const failed: string[] = [];
    for (const tenant of this.options.tenants()) {
      if (this.stopped) return;
      try {
        const manifest = await this.snapshot(tenant);
        taken++;
        const { keepDays, keepMin } = this.options;
        const pruned = pruneSnapshots(dir, tenant.slug, { keepDays, keepMin, now: this.now() });
        logger.info("backup taken", {
          slug: tenant.slug,
          takenAt: manifest.takenAt,
          bytes: manifest.bytes,
          sourceBytes: manifest.sourceBytes,
          pruned: pruned.length,
        });
      } catch (error) {
        if (this.stopped) return;
        failed.push(tenant.slug);
        logger.error("backup failed", { slug: tenant.slug, ...errorFields(error) });
      }
    }
    const marker = this.options.lastRoundFile;
    if (!existsSync(marker)) closeSync(openSync(marker, "w", 0o600));
    utimesSync(marker, new Date(started), new Date(started));
    logger.info("backup round finished", { taken, failed, ms: this.now() - started });
    logger.flush();
  }

  private async snapshot(tenant: Tenant) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await takeSnapshot(this.options.pool, tenant, this.options, { upkeep: true });
      } catch (error) {
        if (!(error instanceof PoolBusyError) || attempt >= BUSY_TRIES || this.stopped) throw error;
        await Bun.sleep(BUSY_WAIT_MS);
      }
    }
  }

  /** No more rounds; a snapshot in progress is left to the pool's shutdown (its `.part` files are pruned later). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
