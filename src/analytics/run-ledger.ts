import { type AnalyticsRun, listRuns, shownStatus } from "../tenancy/analytics-ledger.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import { WORKSPACE_JOBS } from "./freshness.ts";

/** One job of a run as a workspace's admin sees it: its status and duration (not the host-wide row counts). */
export interface LedgerJob {
  job: string;
  status: "succeeded" | "failed" | "not run";
  ms: number | null;
}

/** A run of this host's ledger, as the Settings → Analytics page shows it. */
export interface LedgerRun {
  id: number;
  runDate: string;
  trigger: AnalyticsRun["trigger"];
  status: AnalyticsRun["status"];
  startedAt: number;
  endedAt: number | null;
  jobs: LedgerJob[];
}

/**
 * The host's latest runs for a workspace's admin page: when, how, status and each workspace
 * job's status and duration. Left out: rows exported and computed (figures across every
 * workspace on the host), error texts (they may name another workspace's files) and the
 * operators' usage job: those are for `crm analytics status`. A `running` row whose process is
 * gone is shown failed, as the next run will record it.
 */
export function ledgerForWorkspace(catalog: Catalog, limit = 20): LedgerRun[] {
  return listRuns(catalog, limit).map((run) => ({
    id: run.id,
    runDate: run.runDate,
    trigger: run.trigger,
    status: shownStatus(run),
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    jobs: WORKSPACE_JOBS.map((job) => {
      const outcome = run.jobs[job];
      return { job, status: outcome?.status ?? "not run", ms: outcome ? outcome.ms : null };
    }),
  }));
}
