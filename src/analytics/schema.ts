import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * What the nightly analytics run (`crm analytics run`, DuckDB over the Parquet warehouse, in its
 * own process) computed for this workspace. The run writes all of a night's changes in one
 * transaction per workspace, so a page sees the previous night's results or the new ones, never
 * a mix. It writes only the rows that changed (jobs/run/write-back.ts): a row's `run_date` is
 * the day of the run that last wrote it (changed it), not necessarily the latest run's; the day
 * every job's numbers are for is its `analytics_freshness.run_date`, written at every run and
 * stated by every page showing these numbers (pages never read the rows' `run_date`).
 */
export const analyticsFreshness = sqliteTable("analytics_freshness", {
  job: text("job").primaryKey(),
  runDate: text("run_date").notNull(),
  computedAt: integer("computed_at").notNull(),
  rows: integer("rows").notNull(),
  /**
   * The mark of the write-back that last wrote the job's rows (random, never reused): the runner
   * keeps the one it wrote and writes only the changed rows when the file still holds it (and
   * the job's row count), else all of them, so a file put back from a backup, replaced, or
   * whose rows were removed (erasure, merge) never gets a change computed against rows it does
   * not hold. A row edited in place by hand is not seen: nothing in the app edits these rows.
   */
  writeId: text("write_id"),
});

/**
 * RFM score per contact: the day (UTC, YYYY-MM-DD) of the last interaction about them (stored as
 * a day, not as days before the run, so a row changes only when the contact's numbers do),
 * frequency, monetary (won deals), quintiles 1–5, a named segment.
 */
export const analyticsRfm = sqliteTable(
  "analytics_rfm",
  {
    contactId: integer("contact_id").primaryKey(),
    lastDay: text("last_day").notNull(),
    frequency: integer("frequency").notNull(),
    monetaryCents: integer("monetary_cents").notNull(),
    rScore: integer("r_score").notNull(),
    fScore: integer("f_score").notNull(),
    mScore: integer("m_score").notNull(),
    segment: text("segment").notNull(),
    runDate: text("run_date").notNull(),
  },
  (t) => [index("analytics_rfm_segment_idx").on(t.segment, t.contactId)],
);

/** Cohort retention: contacts by the month of their first interaction, and how many were active `month_offset` months later. */
export const analyticsCohorts = sqliteTable(
  "analytics_cohorts",
  {
    cohortMonth: text("cohort_month").notNull(),
    monthOffset: integer("month_offset").notNull(),
    cohortSize: integer("cohort_size").notNull(),
    active: integer("active").notNull(),
    runDate: text("run_date").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cohortMonth, t.monthOffset] })],
);

/** Pipeline funnel per pipeline, month and stage: deals that entered the stage, moved on from it, and the median days spent in it. */
export const analyticsFunnel = sqliteTable(
  "analytics_funnel",
  {
    pipelineId: integer("pipeline_id").notNull(),
    month: text("month").notNull(),
    stageId: integer("stage_id").notNull(),
    entered: integer("entered").notNull(),
    advanced: integer("advanced").notNull(),
    medianDays: real("median_days"),
    runDate: text("run_date").notNull(),
  },
  (t) => [primaryKey({ columns: [t.pipelineId, t.month, t.stageId] })],
);

/** Activity by weekday (0 = Monday) and hour in the workspace's time zone, per user who acted (owner). */
export const analyticsHeatmap = sqliteTable(
  "analytics_heatmap",
  {
    ownerId: integer("owner_id").notNull(),
    weekday: integer("weekday").notNull(),
    hour: integer("hour").notNull(),
    interactions: integer("interactions").notNull(),
    runDate: text("run_date").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ownerId, t.weekday, t.hour] })],
);

/** Churn risk per company: interactions in the last 90 days against the 90 before, and a risk level. */
export const analyticsChurn = sqliteTable(
  "analytics_churn",
  {
    companyId: integer("company_id").primaryKey(),
    recent90: integer("recent_90").notNull(),
    previous90: integer("previous_90").notNull(),
    trend: real("trend").notNull(),
    risk: text("risk", { enum: ["high", "medium", "low"] }).notNull(),
    runDate: text("run_date").notNull(),
  },
  (t) => [index("analytics_churn_risk_idx").on(t.risk, t.companyId)],
);
