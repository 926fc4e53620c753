import type { LedgerRun } from "../../src/analytics/run-ledger.ts";
import { formatCount, formatDateTime } from "../components/format.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";

export interface AnalyticsPageProps {
  ctx: PageContext;
  base: string;
  /** The nightly run's time and zone, and the next start (null: the schedule is off). */
  schedule: { at: string; zone: string; next: number; local: { day: string; time: string } } | null;
  runs: LedgerRun[];
  /** What this workspace holds from each job. */
  jobs: { job: string; rows: number | null; freshness: string | null }[];
}

function duration(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 120 ? `${Math.round(s * 10) / 10} s` : `${Math.round(s / 60)} min`;
}

function runRow(run: LedgerRun): Html {
  return html`<tr><td>${run.id}</td><td>${run.runDate}</td><td>${run.trigger}</td><td class="status-${run.status}">${run.status}</td><td>${formatDateTime(run.startedAt)}</td><td>${run.endedAt === null ? "–" : formatDateTime(run.endedAt)}</td><td class="num">${duration(run.endedAt === null ? null : run.endedAt - run.startedAt)}</td><td>${run.jobs.map(
    (j, i) => html`${i ? ", " : ""}${j.job}: ${j.status}${j.ms === null ? "" : ` (${duration(j.ms)})`}`,
  )}</td></tr>`;
}

/** Settings → Analytics: the nightly schedule, this host's runs, and this workspace's results. */
export function analyticsPage(p: AnalyticsPageProps): Html {
  return page(p.ctx, {
    title: "Analytics runs",
    nav: "settings",
    body: html`<section class="settings">
${settingsNav(p.base, "analytics")}
<div class="section-head"><h1>Analytics</h1></div>
<p id="analytics-schedule">${
      p.schedule
        ? html`Nightly run at ${p.schedule.at} (${p.schedule.zone}, the server's time). Next run: <time datetime="${new Date(p.schedule.next).toISOString()}">${p.schedule.local.day} ${p.schedule.local.time}</time>, computing the day that has just ended (yesterday, in that time zone).`
        : html`The nightly run is off on this server (CRM_ANALYTICS_AT=off).`
    } An admin of the server can run <code>crm analytics run</code> at any time.</p>
<h2>This workspace</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Latest results"><table class="list" id="analytics-results"><thead><tr><th scope="col">Job</th><th scope="col" class="num">Rows</th><th scope="col">Computed</th></tr></thead>
<tbody>${p.jobs.map((j) => html`<tr><td>${j.job}</td><td class="num">${j.rows === null ? "–" : formatCount(j.rows)}</td><td>${j.freshness ?? "Not computed yet"}</td></tr>`)}</tbody></table></div>
<h2>Runs on this server</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Runs"><table class="list" id="analytics-runs"><thead><tr><th scope="col">Run</th><th scope="col">For</th><th scope="col">Started by</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Ended</th><th scope="col" class="num">Took</th><th scope="col">Jobs</th></tr></thead>
<tbody>${p.runs.length ? p.runs.map(runRow) : html`<tr><td colspan="8">No runs yet.</td></tr>`}</tbody></table></div>
<p class="hint">Each run computes every workspace on this server; a failed job leaves the previous results in place and is tried again the next run. Row counts and errors across workspaces are shown to the server's operators only (<code>crm analytics status</code>).</p>
</section>`,
  });
}
