import type { TenantJob } from "./job-sql.ts";

/**
 * Each job's result table in a workspace's file (src/analytics/schema.ts) and its columns in
 * the order the job's SELECT gives them after `tenant`; `run_date` is added by the write-back.
 * `keys`: how many leading columns are the table's primary key (one row per key: the write-back
 * sorts rows by them).
 */
export const RESULT_TABLES: Record<TenantJob, { table: string; columns: readonly string[]; keys: number }> = {
  rfm: {
    table: "analytics_rfm",
    columns: [
      "contact_id",
      "last_day",
      "frequency",
      "monetary_cents",
      "r_score",
      "f_score",
      "m_score",
      "segment",
    ],
    keys: 1,
  },
  cohorts: {
    table: "analytics_cohorts",
    columns: ["cohort_month", "month_offset", "cohort_size", "active"],
    keys: 2,
  },
  funnel: {
    table: "analytics_funnel",
    columns: ["pipeline_id", "month", "stage_id", "entered", "advanced", "median_days"],
    keys: 3,
  },
  heatmap: {
    table: "analytics_heatmap",
    columns: ["owner_id", "weekday", "hour", "interactions"],
    keys: 3,
  },
  churn: {
    table: "analytics_churn",
    columns: ["company_id", "recent_90", "previous_90", "trend", "risk"],
    keys: 1,
  },
};

/** The usage job's columns after `tenant` (the catalog's analytics_usage). */
export const USAGE_COLUMNS = ["active_users", "events", "events_per_day", "storage_bytes"] as const;
