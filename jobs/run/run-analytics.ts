import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  type AnalyticsJob,
  type AnalyticsRun,
  finishRun,
  type JobOutcome,
  latestRun,
  listRuns,
  type RunTrigger,
  recordExportedRows,
  recordJob,
  replaceUsage,
  startRun,
  type UsageRow,
} from "../../src/tenancy/analytics-ledger.ts";
import type { Catalog } from "../../src/tenancy/catalog.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import type { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { hostWarehouse, tenantFileBytes } from "../export/host-warehouse.ts";
import { TENANT_JOBS } from "./job-sql.ts";
import { dropResult, resultsByTenant, runJob } from "./run-job.ts";
import { writeHostResults } from "./union-results.ts";
import { type UnionSources, unionSources } from "./union-sources.ts";
import { createViews, MissingPartitionError, missingFiles } from "./warehouse-views.ts";
import { WRITERS } from "./write-back-pool.ts";
import { recordOwnWrites } from "./write-back-state.ts";
import { writeResults } from "./write-results.ts";
import { dropDelta } from "./written-results.ts";

/** What the run is doing, for a progress line: `done` of `total` steps of the phase. */
export interface RunProgress {
  phase: "jobs" | "write-back";
  done: number;
  total: number;
  /** The job or tenant just finished. */
  item?: string;
}

export interface RunOptions {
  dataDir: string;
  warehouse: string;
  /** YYYY-MM-DD: the day the numbers are for (windows end with it). */
  runDate: string;
  /** The jobs to run (default: all), in ANALYTICS_JOBS order. */
  jobs: AnalyticsJob[];
  trigger: RunTrigger;
  /** DuckDB's memory limit (e.g. "1GB") and threads. */
  settings: { memory: string; threads: number };
  /** Brings the warehouse up to date first (the export); returns the interactions it wrote. */
  exportWarehouse?: () => Promise<ExportedForRun>;
  onProgress?: (progress: RunProgress) => void;
  now?: () => number;
  /** Threads writing the results back side by side (default WRITERS, 2; 0: this thread, through `shards`). */
  writers?: number;
  /**
   * A cluster's union run (README "Analytics across hosts"): `warehouse` is the shared one; the
   * jobs read every host's export (union-sources.ts), and each host's results go to its results
   * file for its own `crm analytics apply` (union-results.ts), never into a file from here.
   */
  union?: UnionRun;
}

export interface UnionRun {
  /** This host's name (the runner). */
  runner: string;
  /** Every host of the placement. */
  hosts: readonly string[];
  /** The host placement gives a slug to. */
  ownerOf: (slug: string) => string | undefined;
}

/** What the export before a run did: the interactions it wrote, and the workspaces it could not read. */
export interface ExportedForRun {
  rows: number;
  /** Skipped workspaces (an older schema, a damaged file…) and why: their numbers are not current. */
  skipped: { slug: string; reason: string }[];
}

export interface RunSummary {
  run: AnalyticsRun;
  /** Workspaces whose results could not be written, with why. */
  unwritten: { slug: string; error: string }[];
  /** Workspaces the export skipped, with why: the run fails naming them, so an operator sees it. */
  notExported: ExportedForRun["skipped"];
  /** A union run: each host's last export time, and how many workspaces its results file holds. */
  union?: { exportedAt: Map<string, number>; results: Map<string, number> };
}

/** The runner's folder in the warehouse ("_": not read as a table): its DuckDB database and spill files. */
export const RUNNER_DIR = "_runner";

/**
 * The runner's folder: `_runner` of the warehouse on one host. In a cluster, one per runner
 * host, so two hosts' runs never share a DuckDB file: `_runner/<host>` for a union, and inside
 * the host's own folder for a run over its export only.
 */
export function runnerDirOf(options: Pick<RunOptions, "warehouse" | "union">): string {
  const { union } = options;
  if (!union) return join(options.warehouse, RUNNER_DIR);
  if (union.hosts.length === 1 && union.hosts[0] === union.runner)
    return join(hostWarehouse(options.warehouse, union.runner), RUNNER_DIR);
  return join(options.warehouse, RUNNER_DIR, union.runner);
}

/** Where the last run's phase durations are kept (ms per phase, for the benchmark and an operator's curiosity). */
export const PHASES_FILE = "phases.json";

/** Milliseconds per phase of a run, in the order they ran (the jobs' own are in the ledger). */
class PhaseTimer {
  readonly phases: Record<string, number> = {};
  private last = performance.now();
  lap(phase: string): void {
    const now = performance.now();
    this.phases[phase] = Math.round((this.phases[phase] ?? 0) + now - this.last);
    this.last = now;
  }
}

/**
 * The runner's DuckDB database (the log's copy). A damaged one is only a cache: it is removed
 * and the copy is read again from the warehouse.
 */
async function openCache(path: string, config: Record<string, string>): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(path, config);
  } catch {
    for (const file of [path, `${path}.wal`]) rmSync(file, { force: true });
    return await DuckDBInstance.create(path, config);
  }
}

const message = (error: unknown) => String((error as Error)?.message ?? error);

/**
 * One analytics run (`crm analytics run`): takes the host's lock (the ledger's `running` row),
 * brings the warehouse up to date, runs each job with DuckDB over the warehouse, and writes
 * each workspace's results back in one transaction per workspace. A job that fails (a corrupt
 * or missing Parquet file: its error names it) writes nothing, so that job's previous results
 * stay in place; the run is then marked failed with the job named. Throws RunInProgressError
 * when another live run holds the lock.
 */
export async function runAnalytics(
  catalog: Catalog,
  shards: ShardManager,
  options: RunOptions,
): Promise<RunSummary> {
  const now = options.now ?? Date.now;
  const progress = options.onProgress ?? (() => undefined);
  const run = startRun(catalog, { runDate: options.runDate, trigger: options.trigger, now: now() });
  const failures: string[] = [];
  const unwritten: RunSummary["unwritten"] = [];
  const notExported: RunSummary["notExported"] = [];
  const timer = new PhaseTimer();
  let sources: UnionSources | undefined;
  const unionResults = new Map<string, number>();
  try {
    if (options.exportWarehouse) {
      const exported = await options.exportWarehouse();
      recordExportedRows(catalog, run.id, exported.rows);
      notExported.push(...exported.skipped);
    }
    timer.lap("export");
    sources = options.union
      ? unionSources(options.warehouse, options.union.hosts, options.union.ownerOf)
      : undefined;
    if (sources) notExported.push(...sources.notExported);
    const tenants: Counted[] = sources
      ? sources.tenants
      : catalog
          .list()
          .filter((t) => t.status !== "provisioning" && !t.failure)
          .map((t) => ({
            id: t.id,
            slug: t.slug,
            tenant: t,
            bytes: tenantFileBytes(join(options.dataDir, t.file)),
          }));
    const outcomes = await computeAndWrite(
      catalog,
      shards,
      options,
      run,
      { tenants, folders: sources?.folders, results: unionResults },
      unwritten,
      progress,
      now,
      timer,
    );
    for (const [job, outcome] of outcomes)
      if (outcome.status === "failed") failures.push(`job ${job} failed: ${outcome.error}`);
    for (const { slug, reason } of notExported) failures.push(`workspace ${slug} not exported: ${reason}`);
    for (const { slug, error } of unwritten) failures.push(`workspace ${slug} not written: ${error}`);
    finishRun(catalog, run.id, {
      status: failures.length ? "failed" : "succeeded",
      error: failures.length ? failures.join("; ").slice(0, 2000) : undefined,
      now: now(),
    });
  } catch (error) {
    finishRun(catalog, run.id, { status: "failed", error: message(error).slice(0, 2000), now: now() });
    throw error;
  }
  const final = listRuns(catalog, 50).find((r) => r.id === run.id) ?? latestRun(catalog) ?? run;
  return {
    run: final,
    unwritten,
    notExported,
    ...(sources ? { union: { exportedAt: sources.exportedAt, results: unionResults } } : {}),
  };
}

/**
 * A workspace the run counts: from the catalog (one host), or from its owner's export (a union:
 * no file here; `host` names its owner).
 */
interface Counted {
  id: string;
  slug: string;
  /** Its file's size with its write-ahead log (the usage job's storage_bytes). */
  bytes: number;
  /** One host: the catalog's record. */
  tenant?: Tenant;
  /** A union: its owner host. */
  host?: string;
}

async function computeAndWrite(
  catalog: Catalog,
  shards: ShardManager,
  options: RunOptions,
  run: AnalyticsRun,
  counted: { tenants: Counted[]; folders?: readonly string[]; results: Map<string, number> },
  unwritten: RunSummary["unwritten"],
  progress: (p: RunProgress) => void,
  now: () => number,
  timer: PhaseTimer,
): Promise<Map<AnalyticsJob, JobOutcome>> {
  const runnerDir = runnerDirOf(options);
  const tempDirectory = join(runnerDir, "spill");
  mkdirSync(tempDirectory, { recursive: true });
  const instance = await openCache(join(runnerDir, "cache.duckdb"), {
    memory_limit: options.settings.memory,
    threads: String(options.settings.threads),
    temp_directory: tempDirectory,
    // Results are keyed, never read in file order; keeping the order made reading the log's
    // many small files into one table ~4× slower (measured: 14 s against 3.5 s for 2,000 files).
    preserve_insertion_order: "false",
  });
  const connection = await instance.connect();
  const outcomes = new Map<AnalyticsJob, JobOutcome>();
  timer.lap("open");
  try {
    const { tenants, folders } = counted;
    const missing = missingFiles(options.warehouse, folders);
    let unreadable = missing.length ? new MissingPartitionError(missing).message : undefined;
    if (!unreadable)
      try {
        await createViews(connection, {
          warehouse: options.warehouse,
          runDate: options.runDate,
          tenantFiles: tenants.map((t) => ({ tenant: t.id, bytes: t.bytes })),
          ...(folders
            ? { union: { folders, owners: tenants.map((t) => ({ tenant: t.id, host: t.host ?? "" })) } }
            : {}),
        });
      } catch (error) {
        // A Parquet file that cannot be read (DuckDB names it): every job reads the log.
        unreadable = message(error);
      }
    timer.lap("views");
    let done = 0;
    progress({ phase: "jobs", done, total: options.jobs.length });
    for (const job of options.jobs) {
      const outcome: JobOutcome = unreadable
        ? { status: "failed", rows: 0, ms: 0, error: unreadable.slice(0, 1000) }
        : await runJob(connection, job);
      outcomes.set(job, outcome);
      recordJob(catalog, run.id, job, outcome);
      progress({ phase: "jobs", done: ++done, total: options.jobs.length, item: job });
    }
    timer.lap("jobs");

    let usageRows: Map<string, Omit<UsageRow, "runDate">> | undefined;
    if (outcomes.get("usage")?.status === "succeeded") {
      const usage = await resultsByTenant(connection, "usage");
      usageRows = new Map(
        [...usage].map(([tenantId, [row]]) => [
          tenantId,
          {
            tenantId,
            activeUsers: Number(row?.[0] ?? 0),
            events: Number(row?.[1] ?? 0),
            eventsPerDay: Number(row?.[2] ?? 0),
            storageBytes: Number(row?.[3] ?? 0),
          },
        ]),
      );
      // One host: its catalog's table. A union: each host's own rows, with its results.
      if (!options.union) replaceUsage(catalog, options.runDate, [...usageRows.values()]);
      await dropResult(connection, "usage");
    }

    const succeeded = TENANT_JOBS.filter((job) => outcomes.get(job)?.status === "succeeded");
    if (options.union) {
      const inWarehouse = new Set(
        (await connection.runAndReadAll("SELECT DISTINCT tenant FROM workspace"))
          .getRows()
          .map((r) => String(r[0])),
      );
      const written = await writeHostResults(connection, {
        shared: options.warehouse,
        runner: options.union.runner,
        runDate: options.runDate,
        computedAt: now(),
        jobs: succeeded,
        hosts: options.union.hosts,
        tenants: tenants.filter((t) => inWarehouse.has(t.id)).map((t) => ({ ...t, host: t.host ?? "" })),
        ...(usageRows ? { usage: usageRows } : {}),
        trigger: options.trigger,
        outcomes,
      });
      for (const [host, n] of written) counted.results.set(host, n);
      for (const job of succeeded) await dropResult(connection, job);
      timer.lap("results");
      return outcomes;
    }
    if (succeeded.length === 0) return outcomes;
    // Every workspace in the warehouse gets each succeeded job's rows, none included: a
    // workspace whose last contact went is told so, not shown last night's numbers forever.
    const inWarehouse = new Set(
      (await connection.runAndReadAll("SELECT DISTINCT tenant FROM workspace"))
        .getRows()
        .map((r) => String(r[0])),
    );
    const targets = tenants.flatMap((t) => (t.tenant && inWarehouse.has(t.id) ? [t.tenant] : []));
    timer.lap("results");
    let writtenCount = 0;
    progress({ phase: "write-back", done: writtenCount, total: targets.length });
    const written = await writeResults(connection, succeeded, targets, {
      dataDir: options.dataDir,
      runDate: options.runDate,
      computedAt: now(),
      writers: options.writers ?? WRITERS,
      shards,
      onDone: (tenant) =>
        progress({ phase: "write-back", done: ++writtenCount, total: targets.length, item: tenant.slug }),
      lap: (phase) => timer.lap(phase),
    });
    unwritten.push(...written.unwritten);
    timer.lap("record");
    for (const job of succeeded) {
      await dropResult(connection, job);
      await dropDelta(connection, job);
    }
    // The write-back's own change-counter bumps do not make the next export retake snapshots.
    recordOwnWrites(options.warehouse, written.countersBefore);
    timer.lap("state");
    return outcomes;
  } finally {
    connection.closeSync();
    instance.closeSync();
    timer.lap("close");
    writeFileSync(join(runnerDir, PHASES_FILE), `${JSON.stringify(timer.phases)}\n`);
  }
}
