/**
 * The named RFM segments the nightly job (jobs/rfm.sql) puts each scored contact in, from
 * most to least engaged: what the Insights page lists and segment rules may test (an
 * allow-list: a rule's value must be one of these).
 */
export const RFM_SEGMENTS = [
  "Champions",
  "Loyal",
  "Potential loyalists",
  "New customers",
  "Promising",
  "Need attention",
  "About to sleep",
  "At risk",
  "Cannot lose them",
  "Hibernating",
  "Lost",
] as const;

/** Churn risk levels per company, highest first (analytics_churn.risk). */
export const CHURN_RISKS = ["high", "medium", "low"] as const;
export type ChurnRisk = (typeof CHURN_RISKS)[number];
