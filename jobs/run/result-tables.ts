import type { TenantJob } from "./job-sql.ts";

/**
 * Each job's result table in a workspace's file (src/analytics/schema.ts) and its columns in
 * the order the job's SELECT gives them after `tenant`; `run_date` is added by the write-back.
 * `keys`: how many leading columns are the table's primary key (one row per key: the write-back
 * sorts rows by them, and writes or deletes a changed row by them). `subject`: the table whose
 * record (by `id`) the first column names; a row whose record the file no longer holds (erased,
 * merged away since the warehouse was read) is never written.
 */
export const RESULT_TABLES: Record<
  TenantJob,
  { table: string; columns: readonly string[]; keys: number; subject?: "contacts" | "companies" }
> = {
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
    subject: "contacts",
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
    subject: "companies",
  },
};

/** The usage job's columns after `tenant` (the catalog's analytics_usage). */
export const USAGE_COLUMNS = ["active_users", "events", "events_per_day", "storage_bytes"] as const;
