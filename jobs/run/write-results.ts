import type { DuckDBConnection } from "@duckdb/node-api";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import type { ShardManager } from "../../src/tenancy/shard-manager.ts";
import type { TenantJob } from "./job-sql.ts";
import type { JobWrite } from "./write-back.ts";
import {
  type WriteBackOutcome,
  type WriteBackTask,
  writeBackInThreads,
  writeBackTask,
} from "./write-back-pool.ts";
import {
  fullRows,
  type JobDelta,
  jobDelta,
  prepareWritten,
  readWritten,
  recordWritten,
  type WrittenJob,
  type WrittenNow,
} from "./written-results.ts";

export interface WriteResultsOptions {
  dataDir: string;
  runDate: string;
  computedAt: number;
  /** Writer threads (0: this thread, through `shards`). */
  writers: number;
  shards: ShardManager;
  /** Told of each workspace once it is done (written, found current, or failed). */
  onDone: (tenant: Pick<Tenant, "slug">) => void;
  /** Told when a phase ends: "delta" (DuckDB computed and packed the changes), then "write-back". */
  lap?: (phase: "delta" | "write-back") => void;
}

export interface WriteResultsSummary {
  /** Workspaces whose results could not be written, with why. */
  unwritten: { slug: string; error: string }[];
  /** Per workspace written, its file's change counter before the write (recordOwnWrites). */
  countersBefore: Map<string, number>;
}

type Outcome = Exclude<WriteBackOutcome, { type: "closed" }>;

/** A job's write for one workspace: its change against what the file holds, or all its rows when unknown. */
function jobWrite(job: TenantJob, delta: JobDelta, tenant: string, record: WrittenJob | undefined): JobWrite {
  const upserts = delta.upserts.get(tenant);
  return {
    job,
    upserts: upserts?.json ?? "[]",
    upsertRows: upserts?.rows ?? 0,
    deletes: delta.deletes.get(tenant)?.json ?? "[]",
    rows: delta.counts.get(tenant) ?? 0,
    expected: record && { writeId: record.writeId, rows: record.rows },
  };
}

/**
 * Writes the succeeded jobs' results into every target workspace, only what changed (see
 * written-results.ts): per workspace one transaction with the changed rows of each job and every
 * job's freshness row, or only a check when nothing changed and the day is the one recorded.
 * A workspace whose file does not hold what was recorded (write-back.ts checks) is written again
 * with all of its jobs' rows. Then the record moves to what the files now hold.
 */
export async function writeResults(
  connection: DuckDBConnection,
  jobs: readonly TenantJob[],
  targets: readonly Tenant[],
  options: WriteResultsOptions,
): Promise<WriteResultsSummary> {
  await prepareWritten(connection, jobs);
  const records = await readWritten(connection);
  const deltas = new Map<TenantJob, JobDelta>();
  for (const job of jobs) deltas.set(job, await jobDelta(connection, job));
  const tasks: WriteBackTask[] = targets.map((tenant) => {
    const recorded = records.get(tenant.id);
    const writes = jobs.map((job) =>
      jobWrite(job, deltas.get(job) as JobDelta, tenant.id, recorded?.get(job)),
    );
    const checkOnly = writes.every(
      (w) =>
        w.expected &&
        w.upsertRows === 0 &&
        w.deletes === "[]" &&
        recorded?.get(w.job)?.runDate === options.runDate,
    );
    const { runDate, computedAt } = options;
    return { tenant, jobs: writes, runDate, computedAt, writeId: crypto.randomUUID(), checkOnly };
  });
  deltas.clear();
  options.lap?.("delta");

  const summary: WriteResultsSummary = { unwritten: [], countersBefore: new Map() };
  const written: WrittenNow[] = [];
  const forget: { tenant: string; job: TenantJob }[] = [];
  const stale: WriteBackTask[] = [];
  const onOutcome = (task: WriteBackTask, outcome: Outcome) => {
    if (outcome.type === "stale") {
      stale.push(task);
      return;
    }
    if (outcome.type === "failed")
      summary.unwritten.push({ slug: task.tenant.slug, error: outcome.error.slice(0, 300) });
    else if (outcome.before !== undefined) {
      summary.countersBefore.set(task.tenant.id, outcome.before);
      for (const { job, rows } of task.jobs)
        if (outcome.differs.includes(job)) forget.push({ tenant: task.tenant.id, job });
        else
          written.push({ tenant: task.tenant.id, job, writeId: task.writeId, rows, runDate: task.runDate });
    }
    options.onDone(task.tenant);
  };
  const writeAll = (list: WriteBackTask[]) =>
    options.writers > 0
      ? writeBackInThreads(options.dataDir, list, options.writers, onOutcome)
      : (async () => {
          // In this thread, through the caller's connections (CRM_ANALYTICS_WRITERS=0).
          for (const task of list) onOutcome(task, await writeBackTask(options.shards, task));
        })();
  await writeAll(tasks);
  if (stale.length > 0) {
    // Put back, replaced, or rows removed by the app: every job of the workspace in full.
    const ids = stale.map((task) => task.tenant.id);
    const full = new Map<TenantJob, Awaited<ReturnType<typeof fullRows>>>();
    for (const job of jobs) full.set(job, await fullRows(connection, job, ids));
    const again = stale.map((task) => ({
      ...task,
      checkOnly: false,
      jobs: task.jobs.map(({ job, rows }) => {
        const all = full.get(job)?.get(task.tenant.id);
        return { job, upserts: all?.json ?? "[]", upsertRows: all?.rows ?? 0, deletes: "[]", rows };
      }),
    }));
    // Without an expected state, a write is never stale: each of these ends written or failed.
    await writeAll(again);
  }
  options.lap?.("write-back");
  await recordWritten(connection, jobs, written, forget);
  return summary;
}
