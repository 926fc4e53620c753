import type { Shard } from "../tenancy/shard.ts";
import { analyticsFreshness, freshnessText } from "./freshness.ts";

/** What a contact's or company's page says of the nightly results (each part absent when not computed for it). */
export interface RecordInsight {
  rfm?: {
    segment: string;
    r: number;
    f: number;
    m: number;
    /** The day (YYYY-MM-DD) of the contact's last interaction. */
    lastDay: string;
    /** Days from `lastDay` to the day the RFM numbers are for (its freshness); absent when unknown. */
    recencyDays?: number;
    frequency: number;
  };
  churn?: { risk: "high" | "medium" | "low"; trend: number; recent90: number; previous90: number };
  /** The churn risk shown is the contact's company's. */
  companyChurn?: boolean;
  /** "Computed for 2026-12-01, 6 hours ago", per part shown. */
  rfmFreshness?: string;
  churnFreshness?: string;
}

function churnOf(shard: Shard, companyId: number): RecordInsight["churn"] {
  return (
    (shard
      .statement(
        "SELECT risk, trend, recent_90 AS recent90, previous_90 AS previous90 FROM analytics_churn WHERE company_id = ?",
      )
      .get(companyId) as RecordInsight["churn"] | null) ?? undefined
  );
}

/**
 * A contact's RFM segment and its company's churn risk, with how fresh each is: two primary-key
 * reads and the small freshness table.
 */
export function contactInsight(shard: Shard, contactId: number, now: number): RecordInsight {
  const rfm = shard
    .statement(
      `SELECT segment, r_score AS r, f_score AS f, m_score AS m, last_day AS lastDay, frequency
       FROM analytics_rfm WHERE contact_id = ?`,
    )
    .get(contactId) as RecordInsight["rfm"] | null;
  const company = shard.statement("SELECT company_id AS id FROM contacts WHERE id = ?").get(contactId) as {
    id: number | null;
  } | null;
  const churn = company?.id ? churnOf(shard, company.id) : undefined;
  return withFreshness(shard, { rfm: rfm ?? undefined, churn, companyChurn: churn !== undefined }, now);
}

/** A company's churn risk, with how fresh it is. */
export function companyInsight(shard: Shard, companyId: number, now: number): RecordInsight {
  return withFreshness(shard, { churn: churnOf(shard, companyId) }, now);
}

/** Whole days from one YYYY-MM-DD day to another (UTC days: no daylight saving); undefined when either is not a day. */
function daysBetween(from: string, to: string): number | undefined {
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
  return Number.isInteger(days) ? days : undefined;
}

function withFreshness(shard: Shard, insight: RecordInsight, now: number): RecordInsight {
  if (!insight.rfm && !insight.churn) return insight;
  const fresh = analyticsFreshness(shard);
  const rfm = fresh.get("rfm");
  const churn = fresh.get("churn");
  // The row keeps the day of the last interaction; the days before the run's day are counted
  // from the day the job's numbers are for (a row untouched by later runs stays right).
  const recencyDays = insight.rfm && rfm ? daysBetween(insight.rfm.lastDay, rfm.runDate) : undefined;
  return {
    ...insight,
    rfm: insight.rfm && { ...insight.rfm, recencyDays },
    rfmFreshness: insight.rfm && rfm ? freshnessText(rfm, now) : undefined,
    churnFreshness: insight.churn && churn ? freshnessText(churn, now) : undefined,
  };
}
