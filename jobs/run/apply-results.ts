import {
  type AnalyticsJob,
  finishRun,
  type JobOutcome,
  recordJob,
  replaceUsage,
  startRun,
} from "../../src/tenancy/analytics-ledger.ts";
import type { Catalog } from "../../src/tenancy/catalog.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import type { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { hostWarehouse } from "../export/host-warehouse.ts";
import { type HostResults, readHostResults } from "./union-results.ts";
import {
  type WriteBackOutcome,
  type WriteBackTask,
  writeBackInThreads,
  writeBackTask,
} from "./write-back-pool.ts";
import { recordOwnWrites } from "./write-back-state.ts";

export interface ApplySummary {
  runDate: string;
  runner: string;
  /** Workspaces written, and those found already holding these results (nothing written). */
  written: number;
  unchanged: number;
  /** Workspaces of the results this host does not hold or no longer owns: left alone, with why. */
  skipped: { slug: string; reason: string }[];
  /** Workspaces whose write failed, with why. */
  unwritten: { slug: string; error: string }[];
  /** Usage rows put in this host's catalog (undefined: the run had no usage results). */
  usage?: number;
}

/** The latest day the workspace's file holds results for, if any. */
async function newestDay(shards: ShardManager, tenant: Tenant): Promise<string | undefined> {
  return await shards.use(tenant, (shard) => {
    const row = shard.statement("SELECT max(run_date) AS day FROM analytics_freshness").get() as {
      day: string | null;
    } | null;
    return row?.day ?? undefined;
  });
}

export interface ApplyOptions {
  /** The shared warehouse, this host's name and data dir. */
  shared: string;
  host: string;
  dataDir: string;
  /** The host placement gives a slug to. */
  ownerOf: (slug: string) => string | undefined;
  /** Writer threads (0: this thread, through the shards given). */
  writers: number;
  /**
   * Record the apply as a run in this host's ledger (its Settings → Analytics page shows it):
   * the union run's jobs and their outcomes, failed if a workspace could not be written. Not
   * for the runner's own apply (its run is in its ledger already). Takes the host's run lock.
   */
  record: boolean;
}

/** The results file cannot be applied (none yet, or not one): nothing was written. */
export class NoResultsError extends Error {}

/**
 * `crm analytics apply`: writes the last union run's results for this host's workspaces into
 * their files (README "Analytics across hosts"). Per workspace one transaction, as a single
 * host's write-back: a page reads last night's numbers or the new ones, never a mix. The mark
 * of each write is a hash of the day and the rows (union-results.ts), so a workspace already
 * holding them is only checked (a read), never written: applying again changes nothing. A
 * workspace this host does not hold, or that placement now gives another host, is skipped.
 * The host's usage rows (operators' table) replace its catalog's for that day.
 */
export async function applyResults(
  catalog: Catalog,
  shards: ShardManager,
  options: ApplyOptions,
): Promise<ApplySummary> {
  const results = readHostResults(options.shared, options.host);
  if (typeof results === "string") throw new NoResultsError(results);
  if (!options.record) return await applyAll(catalog, shards, options, results);
  const run = startRun(catalog, { runDate: results.runDate, trigger: results.trigger ?? "manual" });
  try {
    for (const [job, outcome] of Object.entries(results.outcomes ?? {}))
      recordJob(catalog, run.id, job as AnalyticsJob, outcome as JobOutcome);
    const summary = await applyAll(catalog, shards, options, results);
    const failures = [
      ...Object.entries(results.outcomes ?? {})
        .filter(([, outcome]) => outcome?.status === "failed")
        .map(([job]) => `job ${job} failed on host ${results.runner}`),
      ...summary.unwritten.map(({ slug, error }) => `workspace ${slug} not written: ${error}`),
    ];
    finishRun(catalog, run.id, {
      status: failures.length > 0 ? "failed" : "succeeded",
      ...(failures.length > 0 ? { error: failures.join("; ").slice(0, 2000) } : {}),
    });
    return summary;
  } catch (error) {
    finishRun(catalog, run.id, {
      status: "failed",
      error: String((error as Error)?.message ?? error).slice(0, 2000),
    });
    throw error;
  }
}

/** Writes the results into this host's workspaces (see applyResults). */
async function applyAll(
  catalog: Catalog,
  shards: ShardManager,
  options: ApplyOptions,
  results: HostResults,
): Promise<ApplySummary> {
  const held = new Map(catalog.list().map((t) => [t.id, t]));
  const summary: ApplySummary = {
    runDate: results.runDate,
    runner: results.runner,
    written: 0,
    unchanged: 0,
    skipped: [],
    unwritten: [],
  };
  const mine = new Set<string>();
  const tasks: WriteBackTask[] = [];
  for (const entry of results.tenants) {
    const tenant: Tenant | undefined = held.get(entry.id);
    const owner = options.ownerOf(entry.slug);
    if (!tenant || tenant.slug !== entry.slug) {
      summary.skipped.push({ slug: entry.slug, reason: `not in this host's catalog` });
      continue;
    }
    if (owner !== options.host) {
      summary.skipped.push({ slug: entry.slug, reason: `placement gives it to ${owner ?? "no host"} now` });
      continue;
    }
    if (tenant.status === "provisioning" || tenant.failure) {
      summary.skipped.push({ slug: entry.slug, reason: "its file is being set up or marked failed" });
      continue;
    }
    // Results for a day before the one the file holds (an old results file applied late, after
    // the host's own nightly run) would put older numbers over newer ones.
    const newest = await newestDay(shards, tenant);
    if (newest !== undefined && newest > results.runDate) {
      summary.skipped.push({ slug: entry.slug, reason: `it holds newer results (for ${newest})` });
      continue;
    }
    mine.add(entry.id);
    tasks.push({
      tenant,
      runDate: results.runDate,
      computedAt: results.computedAt,
      writeId: entry.writeId,
      checkOnly: true,
      jobs: entry.rows.map(({ job, rows, json }) => ({
        job,
        upserts: json,
        upsertRows: rows,
        deletes: "[]",
        rows,
        expected: { writeId: entry.writeId, rows },
      })),
    });
  }
  const countersBefore = new Map<string, number>();
  const again: WriteBackTask[] = [];
  const onOutcome = (task: WriteBackTask, outcome: Exclude<WriteBackOutcome, { type: "closed" }>) => {
    if (outcome.type === "stale") again.push(task);
    else if (outcome.type === "failed")
      summary.unwritten.push({ slug: task.tenant.slug, error: outcome.error.slice(0, 300) });
    else if (outcome.before === undefined) summary.unchanged++;
    else {
      summary.written++;
      countersBefore.set(task.tenant.id, outcome.before);
    }
  };
  const writeAll = async (list: WriteBackTask[]) => {
    if (list.length === 0) return;
    if (options.writers > 0) await writeBackInThreads(options.dataDir, list, options.writers, onOutcome);
    else for (const task of list) onOutcome(task, await writeBackTask(shards, task));
  };
  await writeAll(tasks);
  // Not holding these results (another day, other rows, a file put back): each job's rows replaced.
  await writeAll(
    again.map((task) => ({
      ...task,
      checkOnly: false,
      jobs: task.jobs.map(({ expected: _, ...job }) => job),
    })),
  );
  if (results.usage) {
    const usage = results.usage.filter((row) => mine.has(row.tenantId));
    replaceUsage(catalog, results.runDate, usage);
    summary.usage = usage.length;
  }
  // The apply's own change-counter bumps do not make this host's next export retake snapshots.
  recordOwnWrites(hostWarehouse(options.shared, options.host), countersBefore);
  return summary;
}
