import type { ChurnRow, CohortRow, FunnelStage, HeatCell, RfmCell } from "../../src/analytics/insights.ts";
import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import type { FormState, SelectOption } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html, trustedHtml } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { chartFigure } from "../reports/chart-figure.ts";
import { STYLE as REPORT_STYLE } from "../reports/report-page.ts";
import { SHADE_STYLE, type ShadedCell, shadedTable } from "./shaded-table.ts";

type Figure = { id: string; spec: ChartSpec; csvHref: string };

export interface InsightsPageProps {
  ctx: PageContext;
  /** `/t/<slug>`. */
  base: string;
  /** The reports' tabs (Insights is the last). */
  reports: { name: string; title: string }[];
  /** No job has written anything here yet: the page says when they will. */
  emptyText?: string;
  /** "Computed for …, … ago" per job; absent: that job has not written here yet. */
  freshness: Partial<Record<"rfm" | "cohorts" | "funnel" | "heatmap" | "churn", string>>;
  /** The workspace's time zone, which the heatmap's hours are in. */
  zone: string;
  /** The workspace's new time zone when it changed after the last run (the next run reads hours in it). */
  nextZone?: string | null;
  /** The month and owner chosen (as given) and their problems. */
  form: FormState;
  months: string[];
  owners: SelectOption[];
  rfm: {
    cells: RfmCell[];
    segments: { segment: string; contacts: number; href: string | null }[];
    chart?: Figure;
  };
  cohorts: CohortRow[];
  funnel: { pipeline: string; stages: FunnelStage[]; chart: Figure }[];
  heatmap: { cells: HeatCell[]; chart?: Figure };
  churn: { rows: ChurnRow[]; counts: Record<string, number> };
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const STYLE = trustedHtml(`.insights section.insight{margin:1.25rem 0}
.insights .freshness{color:var(--muted);font-size:.9rem;margin:.2rem 0 .6rem}
.risk-high{color:#b00020;font-weight:600}.risk-medium{color:#8a5a00;font-weight:600}
${SHADE_STYLE}`);

function freshnessLine(text: string | undefined): Html {
  return text
    ? html`<p class="freshness">${text}.</p>`
    : html`<p class="freshness">Not computed yet for this workspace.</p>`;
}

function select(name: string, label: string, options: SelectOption[], form: FormState): Html {
  const error = form.errors[name];
  const id = `insights-${name}`;
  const current = form.values[name] ?? "";
  return html`<label class="filter${error ? " invalid" : ""}" for="${id}"><span>${label}</span><select id="${id}" name="${name}"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}>${options.map(
    (o) =>
      o.value === current
        ? html`<option value="${o.value}" selected>${o.label}</option>`
        : html`<option value="${o.value}">${o.label}</option>`,
  )}</select>${error ? html`<small class="field-error" id="${id}-error">${error}</small>` : ""}</label>`;
}

function rfmSection(p: InsightsPageProps): Html {
  const count = (r: number, f: number) => p.rfm.cells.find((c) => c.r === r && c.f === f)?.contacts ?? 0;
  const max = Math.max(0, ...p.rfm.cells.map((c) => c.contacts));
  const rows = [5, 4, 3, 2, 1].map((r) => ({
    head: `R ${r}`,
    cells: [1, 2, 3, 4, 5].map(
      (f): ShadedCell => ({
        value: count(r, f),
        text: formatCount(count(r, f)),
        title: `Recency ${r}, frequency ${f}: ${count(r, f)} contacts`,
      }),
    ),
  }));
  return html`<section class="insight" aria-labelledby="rfm-heading"><h2 id="rfm-heading">RFM: recency, frequency, monetary value</h2>
${freshnessLine(p.freshness.rfm)}
${shadedTable({ id: "rfm-grid", caption: "Contacts by recency (R, 5 = most recent) and frequency (F, 5 = most frequent) score", corner: "Recency \\ Frequency", columns: ["F 1", "F 2", "F 3", "F 4", "F 5"], rows, max })}
<div class="table-scroll"><table class="list" id="rfm-segments-list"><caption>Segments</caption><thead><tr><th scope="col">Segment</th><th scope="col" class="num">Contacts</th></tr></thead>
<tbody>${p.rfm.segments.length ? p.rfm.segments.map((s) => html`<tr><td>${s.href ? html`<a href="${s.href}">${s.segment}</a>` : s.segment}</td><td class="num">${formatCount(s.contacts)}</td></tr>`) : html`<tr><td colspan="2">No scored contacts</td></tr>`}</tbody></table></div>
${p.rfm.chart ? html`<div class="report-charts">${chartFigure(p.rfm.chart.id, p.rfm.chart.spec, p.rfm.chart.csvHref)}</div>` : ""}
</section>`;
}

function cohortSection(p: InsightsPageProps): Html {
  const months = [...new Set(p.cohorts.map((c) => c.cohortMonth))];
  const offsets = Math.max(0, ...p.cohorts.map((c) => c.monthOffset + 1));
  const rows = months.map((month) => {
    const cells = p.cohorts.filter((c) => c.cohortMonth === month);
    const size = cells[0]?.cohortSize ?? 0;
    return {
      head: `${month} (${formatCount(size)})`,
      cells: Array.from({ length: offsets }, (_, offset): ShadedCell => {
        const cell = cells.find((c) => c.monthOffset === offset);
        if (!cell) return { value: null, text: "" };
        const share = size > 0 ? Math.round((cell.active / size) * 1000) / 10 : 0;
        return {
          value: share,
          text: `${share}%`,
          title: `${cell.active} of ${size} active in month ${offset}`,
        };
      }),
    };
  });
  return html`<section class="insight" aria-labelledby="cohorts-heading"><h2 id="cohorts-heading">Cohort retention</h2>
${freshnessLine(p.freshness.cohorts)}
<p class="hint">Contacts by the month of their first interaction (their number in brackets), and the share of them active again each month after.</p>
${months.length ? shadedTable({ id: "cohort-triangle", caption: "Share of each cohort active, by months since its first month", corner: "Cohort", columns: Array.from({ length: offsets }, (_, i) => `+${i}`), rows, max: 100 }) : html`<p class="empty">No cohorts.</p>`}
</section>`;
}

function funnelSection(p: InsightsPageProps): Html {
  const months = p.months.map((m) => ({ value: m, label: m }));
  return html`<section class="insight" aria-labelledby="funnel-heading"><h2 id="funnel-heading">Pipeline funnel</h2>
${freshnessLine(p.freshness.funnel)}
${months.length ? html`<form class="filters" method="get" action="${p.base}/reports/insights#funnel-heading" aria-label="Funnel month">${select("month", "Month", months, p.form)}<input type="hidden" name="owner" value="${p.form.values.owner ?? ""}"><div class="filter-actions"><button type="submit">Show</button></div></form>` : ""}
${p.funnel.length ? html`<div class="report-charts">${p.funnel.map((f) => chartFigure(f.chart.id, f.chart.spec, f.chart.csvHref))}</div>` : html`<p class="empty">No deals entered a stage in this month.</p>`}
</section>`;
}

function heatmapSection(p: InsightsPageProps): Html {
  const value = (d: number, h: number) =>
    p.heatmap.cells.find((c) => c.weekday === d && c.hour === h)?.interactions ?? 0;
  const max = Math.max(0, ...p.heatmap.cells.map((c) => c.interactions));
  const rows = WEEKDAYS.map((day, d) => ({
    head: day,
    cells: Array.from(
      { length: 24 },
      (_, h): ShadedCell => ({
        value: value(d, h),
        text: value(d, h) ? String(value(d, h)) : "",
        title: `${day} ${String(h).padStart(2, "0")}:00: ${value(d, h)}`,
      }),
    ),
  }));
  const owners = [{ value: "", label: "Everyone" }, ...p.owners];
  return html`<section class="insight" aria-labelledby="heatmap-heading"><h2 id="heatmap-heading">Activity heatmap</h2>
${freshnessLine(p.freshness.heatmap)}
<form class="filters" method="get" action="${p.base}/reports/insights#heatmap-heading" aria-label="Heatmap user">${select("owner", "User", owners, p.form)}<input type="hidden" name="month" value="${p.form.values.month ?? ""}"><div class="filter-actions"><button type="submit">Show</button></div></form>
<p class="hint">${p.nextZone ? `Interactions by weekday and hour in ${p.zone}, as the last run read them; the next run reads them in the workspace's time zone (${p.nextZone}).` : `Interactions by weekday and hour in the workspace's time zone (${p.zone}).`}</p>
${shadedTable({ id: "activity-heatmap", caption: "Interactions by weekday and hour", corner: "Day", columns: Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0")), rows, max })}
${p.heatmap.chart ? html`<div class="report-charts">${chartFigure(p.heatmap.chart.id, p.heatmap.chart.spec, p.heatmap.chart.csvHref)}</div>` : ""}
</section>`;
}

function change(r: ChurnRow): string {
  if (r.previous90 === 0) return r.recent90 === 0 ? "no activity" : "new";
  const pct = Math.round(((r.recent90 - r.previous90) / r.previous90) * 100);
  return `${pct > 0 ? "+" : ""}${pct}%`;
}

function churnSection(p: InsightsPageProps): Html {
  const c = p.churn.counts;
  return html`<section class="insight" aria-labelledby="churn-heading"><h2 id="churn-heading">Churn risk</h2>
${freshnessLine(p.freshness.churn)}
<p class="hint">Companies whose interactions in the last 90 days fell against the 90 before, or that had none in either: ${formatCount(c.high ?? 0)} at high risk, ${formatCount(c.medium ?? 0)} at medium, ${formatCount(c.low ?? 0)} at low.</p>
<div class="table-scroll"><table class="list" id="churn-list"><caption>Companies at high or medium risk</caption>
<thead><tr><th scope="col">Company</th><th scope="col">Risk</th><th scope="col" class="num">Last 90 days</th><th scope="col" class="num">90 days before</th><th scope="col" class="num">Change</th></tr></thead>
<tbody>${p.churn.rows.length ? p.churn.rows.map((r) => html`<tr><td><a href="${p.base}/companies/${r.companyId}">${r.name}</a></td><td class="risk-${r.risk}">${r.risk}</td><td class="num">${formatCount(r.recent90)}</td><td class="num">${formatCount(r.previous90)}</td><td class="num">${change(r)}</td></tr>`) : html`<tr><td colspan="5">No company at risk</td></tr>`}</tbody></table></div>
</section>`;
}

/**
 * Reports → Insights: what the nightly analytics computed for this workspace (RFM, cohorts,
 * funnel, heatmap, churn), each part saying how fresh it is; before any run, one honest line
 * saying when they will be computed.
 */
export function insightsPage(p: InsightsPageProps): Html {
  const problems = Object.entries(p.form.errors);
  return page(p.ctx, {
    title: "Insights",
    nav: "reports",
    body: html`<style nonce="${p.ctx.nonce}">${REPORT_STYLE}${STYLE}</style>
<div class="page-head"><h1>Reports</h1></div>
<div id="report" class="insights">
<nav class="tabs" aria-label="Reports">${p.reports.map((r) => html`<a href="${p.base}/reports/${r.name}">${r.title}</a>`)}<strong aria-current="page">Insights</strong></nav>
${problems.length ? html`<ul class="form-errors" role="alert">${problems.map(([field, message]) => html`<li>${field}: ${message}</li>`)}</ul>` : ""}
${p.emptyText ? html`<p class="empty" id="insights-empty">${p.emptyText}</p>` : html`${rfmSection(p)}${cohortSection(p)}${funnelSection(p)}${heatmapSection(p)}${churnSection(p)}`}
</div>`,
  });
}
