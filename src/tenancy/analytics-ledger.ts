import { and, desc, eq } from "drizzle-orm";
import type { Catalog } from "./catalog.ts";
import { analyticsRuns, analyticsUsage } from "./catalog-schema.ts";

/** The jobs of a nightly run, in the order they run (also `analytics_freshness.job`). */
export const ANALYTICS_JOBS = ["rfm", "cohorts", "funnel", "heatmap", "churn", "usage"] as const;
export type AnalyticsJob = (typeof ANALYTICS_JOBS)[number];

export type RunTrigger = "manual" | "nightly";
export type RunStatus = "running" | "succeeded" | "failed";

/** One job's figures in a run: `rows` computed (all tenants together), how long it took, why it failed. */
export interface JobOutcome {
  status: "succeeded" | "failed";
  rows: number;
  ms: number;
  error?: string;
}

/** A row of the ledger, its `jobs` JSON parsed. */
export interface AnalyticsRun {
  id: number;
  runDate: string;
  trigger: RunTrigger;
  status: RunStatus;
  pid: number;
  startedAt: number;
  endedAt: number | null;
  exportedRows: number;
  jobs: Partial<Record<AnalyticsJob, JobOutcome>>;
  error: string | null;
}

export interface UsageRow {
  runDate: string;
  tenantId: string;
  activeUsers: number;
  events: number;
  eventsPerDay: number;
  storageBytes: number;
}

/** Another run holds the lock: its process is alive. */
export class RunInProgressError extends Error {
  constructor(readonly run: AnalyticsRun) {
    super(
      `an analytics run is already in progress (run ${run.id} for ${run.runDate}, process ${run.pid}, ` +
        `started ${new Date(run.startedAt).toISOString()})`,
    );
  }
}

/** Whether a process with this id exists on this host (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * The status to show for a run (`crm analytics status`, Settings → Analytics): a `running` row
 * whose process is gone is a run that crashed, shown `failed` as the next run will record it.
 */
export function shownStatus(run: Pick<AnalyticsRun, "status" | "pid">, alive = processAlive): RunStatus {
  return run.status === "running" && !alive(run.pid) ? "failed" : run.status;
}

function parse(row: typeof analyticsRuns.$inferSelect): AnalyticsRun {
  let jobs: AnalyticsRun["jobs"] = {};
  try {
    jobs = JSON.parse(row.jobs) as AnalyticsRun["jobs"];
  } catch {
    jobs = {};
  }
  return { ...row, jobs };
}

export interface StartRunOptions {
  runDate: string;
  trigger: RunTrigger;
  pid?: number;
  now?: number;
  /** How to tell a running row's process is still there (tests pass their own). */
  alive?: (pid: number) => boolean;
}

/**
 * Takes the host's one-run-at-a-time lock: inserts a `running` row, committed before any work
 * starts. A `running` row whose process is gone is a run that crashed: it is marked failed
 * (saying so) and the new run goes ahead; a live one refuses with RunInProgressError. The check
 * and the insert are one immediate transaction, so two runs starting together cannot both win.
 */
export function startRun(catalog: Catalog, options: StartRunOptions): AnalyticsRun {
  const now = options.now ?? Date.now();
  const alive = options.alive ?? processAlive;
  return catalog.db.transaction(
    (tx) => {
      const running = tx.select().from(analyticsRuns).where(eq(analyticsRuns.status, "running")).all();
      for (const row of running) {
        if (alive(row.pid)) throw new RunInProgressError(parse(row));
        tx.update(analyticsRuns)
          .set({
            status: "failed",
            endedAt: now,
            error: `its process (${row.pid}) stopped before the run finished; a later run took over`,
          })
          .where(eq(analyticsRuns.id, row.id))
          .run();
      }
      const inserted = tx
        .insert(analyticsRuns)
        .values({
          runDate: options.runDate,
          trigger: options.trigger,
          status: "running",
          pid: options.pid ?? process.pid,
          startedAt: now,
        })
        .returning()
        .get();
      return parse(inserted);
    },
    { behavior: "immediate" },
  );
}

/** Records one job's outcome in the run's `jobs` JSON. */
export function recordJob(catalog: Catalog, runId: number, job: AnalyticsJob, outcome: JobOutcome): void {
  catalog.db.transaction(
    (tx) => {
      const row = tx.select().from(analyticsRuns).where(eq(analyticsRuns.id, runId)).get();
      if (!row) return;
      const jobs = parse(row).jobs;
      jobs[job] = outcome;
      tx.update(analyticsRuns)
        .set({ jobs: JSON.stringify(jobs) })
        .where(eq(analyticsRuns.id, runId))
        .run();
    },
    { behavior: "immediate" },
  );
}

export function recordExportedRows(catalog: Catalog, runId: number, rows: number): void {
  catalog.db.update(analyticsRuns).set({ exportedRows: rows }).where(eq(analyticsRuns.id, runId)).run();
}

/** Ends the run (releasing the lock): succeeded, or failed with why. Only a row still `running` changes. */
export function finishRun(
  catalog: Catalog,
  runId: number,
  outcome: { status: "succeeded" | "failed"; error?: string; now?: number },
): void {
  catalog.db
    .update(analyticsRuns)
    .set({ status: outcome.status, endedAt: outcome.now ?? Date.now(), error: outcome.error ?? null })
    .where(and(eq(analyticsRuns.id, runId), eq(analyticsRuns.status, "running")))
    .run();
}

/** The latest runs, newest first (the admin page, `crm analytics status`). */
export function listRuns(catalog: Catalog, limit = 20): AnalyticsRun[] {
  return catalog.db
    .select()
    .from(analyticsRuns)
    .orderBy(desc(analyticsRuns.startedAt), desc(analyticsRuns.id))
    .limit(limit)
    .all()
    .map(parse);
}

export function latestRun(catalog: Catalog): AnalyticsRun | undefined {
  return listRuns(catalog, 1)[0];
}

/** The run holding the lock now, if any (its process may have died: see startRun). */
export function runningRun(catalog: Catalog): AnalyticsRun | undefined {
  const row = catalog.db
    .select()
    .from(analyticsRuns)
    .where(eq(analyticsRuns.status, "running"))
    .orderBy(desc(analyticsRuns.id))
    .get();
  return row ? parse(row) : undefined;
}

/** Replaces the usage summary of `runDate` (the operator-only job's output), in one transaction. */
export function replaceUsage(catalog: Catalog, runDate: string, rows: Omit<UsageRow, "runDate">[]): void {
  catalog.db.transaction(
    (tx) => {
      tx.delete(analyticsUsage).where(eq(analyticsUsage.runDate, runDate)).run();
      for (const row of rows)
        tx.insert(analyticsUsage)
          .values({ ...row, runDate })
          .run();
    },
    { behavior: "immediate" },
  );
}

/** The usage summary of the latest run day that has one (or of `runDate`), by tenant id. */
export function listUsage(catalog: Catalog, runDate?: string): UsageRow[] {
  const day =
    runDate ??
    catalog.db
      .select({ runDate: analyticsUsage.runDate })
      .from(analyticsUsage)
      .orderBy(desc(analyticsUsage.runDate))
      .limit(1)
      .get()?.runDate;
  if (day === undefined) return [];
  return catalog.db
    .select()
    .from(analyticsUsage)
    .where(eq(analyticsUsage.runDate, day))
    .orderBy(analyticsUsage.tenantId)
    .all();
}
