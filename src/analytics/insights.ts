import type { Shard } from "../tenancy/shard.ts";

/**
 * Reads of the nightly results for the Insights page: each a plain query over a small result
 * table (at most a few thousand rows per workspace, through its key or index), so the page
 * needs no worker. Names come from the live tables: a record deleted since the run is left out.
 */

export interface RfmCell {
  r: number;
  f: number;
  contacts: number;
}

export interface SegmentCount {
  segment: string;
  contacts: number;
}

/** Contacts per recency × frequency score (1–5 each), and per named segment, largest first. */
export function rfmSummary(shard: Shard): { cells: RfmCell[]; segments: SegmentCount[] } {
  const cells = shard
    .statement(
      "SELECT r_score AS r, f_score AS f, count(*) AS contacts FROM analytics_rfm GROUP BY r_score, f_score",
    )
    .all() as RfmCell[];
  const segments = shard
    .statement(
      "SELECT segment, count(*) AS contacts FROM analytics_rfm GROUP BY segment ORDER BY contacts DESC, segment",
    )
    .all() as SegmentCount[];
  return { cells, segments };
}

export interface CohortRow {
  cohortMonth: string;
  monthOffset: number;
  cohortSize: number;
  active: number;
}

/** The cohort triangle's cells (the last `months` cohorts), oldest cohort first. */
export function cohortCells(shard: Shard, months = 24): CohortRow[] {
  return shard
    .statement(
      `SELECT cohort_month AS cohortMonth, month_offset AS monthOffset, cohort_size AS cohortSize, active
       FROM analytics_cohorts
       WHERE cohort_month IN (SELECT DISTINCT cohort_month FROM analytics_cohorts ORDER BY cohort_month DESC LIMIT ?)
       ORDER BY cohort_month, month_offset`,
    )
    .all(months) as CohortRow[];
}

/** The months the funnel has figures for, newest first. */
export function funnelMonths(shard: Shard): string[] {
  return (
    shard.statement("SELECT DISTINCT month FROM analytics_funnel ORDER BY month DESC LIMIT 60").values() as [
      string,
    ][]
  ).map((r) => r[0]);
}

export interface FunnelStage {
  pipelineId: number;
  pipeline: string;
  stageId: number;
  stage: string;
  entered: number;
  advanced: number;
  medianDays: number | null;
  /** The stage's kind: a won or lost stage is where deals end, so nothing moves on from it. */
  kind?: "open" | "won" | "lost";
}

/** One month's funnel: per pipeline, its stages in order with deals entered, moved on and median days. */
export function funnelOf(shard: Shard, month: string): FunnelStage[] {
  return shard
    .statement(
      `SELECT f.pipeline_id AS pipelineId, p.name AS pipeline, f.stage_id AS stageId, s.name AS stage,
              f.entered, f.advanced, f.median_days AS medianDays, s.kind
       FROM analytics_funnel f
       JOIN stages s ON s.id = f.stage_id
       JOIN pipelines p ON p.id = f.pipeline_id
       WHERE f.month = ?
       ORDER BY p.position, p.id, s.position, s.id`,
    )
    .all(month) as FunnelStage[];
}

export interface HeatCell {
  weekday: number;
  hour: number;
  interactions: number;
}

/** Interactions per weekday (0 = Monday) and hour in the workspace's zone: one user's, or everyone's. */
export function heatmapCells(shard: Shard, ownerId: number | null): HeatCell[] {
  if (ownerId === null)
    return shard
      .statement(
        "SELECT weekday, hour, sum(interactions) AS interactions FROM analytics_heatmap GROUP BY weekday, hour",
      )
      .all() as HeatCell[];
  return shard
    .statement("SELECT weekday, hour, interactions FROM analytics_heatmap WHERE owner_id = ?")
    .all(ownerId) as HeatCell[];
}

/** The users the heatmap has figures for (by name), to choose from. */
export function heatmapOwners(shard: Shard): { id: number; name: string }[] {
  return shard
    .statement(
      "SELECT u.id, u.name FROM users u WHERE u.id IN (SELECT DISTINCT owner_id FROM analytics_heatmap) ORDER BY u.name, u.id",
    )
    .all() as { id: number; name: string }[];
}

export interface ChurnRow {
  companyId: number;
  name: string;
  recent90: number;
  previous90: number;
  trend: number;
  risk: "high" | "medium";
}

/** Companies at high, then medium risk of churning, steepest fall first (at most `limit`). */
export function churnAtRisk(shard: Shard, limit = 100): ChurnRow[] {
  return shard
    .statement(
      `SELECT ch.company_id AS companyId, co.name, ch.recent_90 AS recent90, ch.previous_90 AS previous90, ch.trend, ch.risk
       FROM analytics_churn ch JOIN companies co ON co.id = ch.company_id
       WHERE ch.risk IN ('high', 'medium')
       ORDER BY ch.risk = 'high' DESC, ch.trend, co.name
       LIMIT ?`,
    )
    .all(limit) as ChurnRow[];
}

/** How many companies are at each risk level. */
export function churnCounts(shard: Shard): Record<string, number> {
  const rows = shard.statement("SELECT risk, count(*) AS n FROM analytics_churn GROUP BY risk").all() as {
    risk: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.risk, r.n]));
}
