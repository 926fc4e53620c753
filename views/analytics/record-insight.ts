import type { RecordInsight } from "../../src/analytics/record-insight.ts";
import { type Html, html } from "../html.ts";

const RISK = { high: "High", medium: "Medium", low: "Low" } as const;

function change(recent: number, previous: number): string {
  if (previous === 0) return recent ? "new activity" : "no activity";
  const pct = Math.round(((recent - previous) / previous) * 100);
  return `${pct > 0 ? "+" : ""}${pct}% against the 90 days before`;
}

/** "3 days before the run's day", "on the run's day", or the day itself when the run's day is unknown. */
function lastInteraction(rfm: NonNullable<RecordInsight["rfm"]>): Html {
  if (rfm.recencyDays === undefined) return html`on ${rfm.lastDay}`;
  if (rfm.recencyDays === 0) return html`on the run's day`;
  return html`${rfm.recencyDays} day${rfm.recencyDays === 1 ? "" : "s"} before the run's day`;
}

/**
 * A contact's RFM segment and its (company's) churn risk from the nightly analytics, each
 * with how fresh it is; nothing at all when neither was computed for this record.
 */
export function recordInsight(p: RecordInsight | undefined, base: string): Html {
  if (!p || (!p.rfm && !p.churn)) return html``;
  return html`<section class="related record-insight" aria-labelledby="insight-heading"><h2 id="insight-heading">Insights</h2><dl class="facts">${
    p.rfm
      ? html`<dt>RFM segment</dt><dd><span class="badge rfm-segment">${p.rfm.segment}</span> R ${p.rfm.r} · F ${p.rfm.f} · M ${p.rfm.m} (last interaction ${lastInteraction(p.rfm)}, ${p.rfm.frequency} in the 365 days to it)${p.rfmFreshness ? html` <small class="hint">${p.rfmFreshness}</small>` : ""}</dd>`
      : ""
  }${
    p.churn
      ? html`<dt>${p.companyChurn ? "Company churn risk" : "Churn risk"}</dt><dd><span class="badge churn-risk churn-${p.churn.risk}">${RISK[p.churn.risk]}</span> ${p.churn.recent90} interactions in the last 90 days, ${change(p.churn.recent90, p.churn.previous90)}${p.churnFreshness ? html` <small class="hint">${p.churnFreshness}</small>` : ""}</dd>`
      : ""
  }</dl><p class="hint"><a href="${base}/reports/insights">All insights</a></p></section>`;
}
