import type { Shard } from "../tenancy/shard.ts";

/** The nightly jobs whose results a workspace shows (`usage` is the operators' and never lands here). */
export const WORKSPACE_JOBS = ["rfm", "cohorts", "funnel", "heatmap", "churn"] as const;
export type WorkspaceJob = (typeof WORKSPACE_JOBS)[number];

/** When a job's results were computed: the day they are for, the moment they were written, how many rows. */
export interface Freshness {
  job: string;
  runDate: string;
  computedAt: number;
  rows: number;
}

/** Each job's last successful write-back into this workspace, by job (absent: never computed here). */
export function analyticsFreshness(shard: Shard): Map<string, Freshness> {
  const rows = shard
    .statement("SELECT job, run_date AS runDate, computed_at AS computedAt, rows FROM analytics_freshness")
    .all() as Freshness[];
  return new Map(rows.map((r) => [r.job, r]));
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 minutes ago", "6 hours ago", "3 days ago": how long ago `at` was, at `now`. */
export function timeAgo(at: number, now: number): string {
  const ago = Math.max(0, now - at);
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"} ago`;
  if (ago < MINUTE) return "just now";
  if (ago < HOUR) return unit(Math.floor(ago / MINUTE), "minute");
  if (ago < DAY) return unit(Math.floor(ago / HOUR), "hour");
  return unit(Math.floor(ago / DAY), "day");
}

/** What every page showing a job's numbers says about them: "Computed for 2026-12-01, 6 hours ago". */
export function freshnessText(f: Pick<Freshness, "runDate" | "computedAt">, now: number): string {
  return `Computed for ${f.runDate}, ${timeAgo(f.computedAt, now)}`;
}

/** The page's empty state, naming the configured nightly time (or that the schedule is off). */
export function notYetText(analyticsAt: string | null): string {
  const when = analyticsAt
    ? `they are computed nightly at ${analyticsAt}`
    : "the nightly run is turned off on this server";
  return `No analytics yet: ${when}; an admin can run \`crm analytics run\`.`;
}
