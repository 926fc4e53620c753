import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import type { FormState, SelectOption } from "../components/form-field.ts";
import { type Html, html, trustedHtml } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { chartFigure } from "./chart-figure.ts";

export interface ReportPageProps {
  ctx: PageContext;
  /** `/t/<slug>`. */
  base: string;
  report: { name: string; title: string; summary: string; usesRange: boolean };
  /** Every report, for the tabs. */
  reports: { name: string; title: string }[];
  /** The filters as given (from, to, ownerId) and their problems, by parameter. */
  form: FormState;
  /** Everyone who can own a record. */
  owners: SelectOption[];
  /** The viewer's time zone, which days, weeks, months and quarters are read in. */
  zone: string;
  /** The charts, each with its id on the page and its CSV's URL; undefined while the filters are refused. */
  charts?: { id: string; spec: ChartSpec; csvHref: string }[];
}

/** The layout of charts and tables; a <style> carrying the page's nonce (no style attributes anywhere). Insights uses it too. */
export const STYLE =
  trustedHtml(`.report-charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr));gap:1rem}
.report-chart{background:var(--panel);border:1px solid var(--line);border-radius:var(--radius);padding:.75rem;min-width:0}
.report-chart h2{font-size:1rem;margin:0 0 .5rem}
.report-chart svg.chart{display:block;width:100%;height:auto}
.table-scroll{overflow-x:auto}
#report .filter,#report .filter select{max-width:100%}
.chart-data summary{cursor:pointer;color:var(--muted);font-size:.9rem;margin:.4rem 0}`);

function filterInput(name: "from" | "to", label: string, form: FormState): Html {
  const error = form.errors[name];
  const id = `report-${name}`;
  return html`<label class="filter${error ? " invalid" : ""}" for="${id}"><span>${label}</span><input id="${id}" type="date" name="${name}" value="${form.values[name] ?? ""}"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}>${error ? html`<small class="field-error" id="${id}-error">${error}</small>` : ""}</label>`;
}

function ownerSelect(form: FormState, owners: SelectOption[]): Html {
  const error = form.errors.ownerId;
  const current = form.values.ownerId ?? "";
  return html`<label class="filter${error ? " invalid" : ""}" for="report-owner"><span>Owner</span><select id="report-owner" name="ownerId"${error ? html` aria-invalid="true" aria-describedby="report-owner-error"` : ""}>${[
    { value: "", label: "Everyone" },
    ...owners,
  ].map((o) =>
    o.value === current
      ? html`<option value="${o.value}" selected>${o.label}</option>`
      : html`<option value="${o.value}">${o.label}</option>`,
  )}</select>${error ? html`<small class="field-error" id="report-owner-error">${error}</small>` : ""}</label>`;
}

/** The query the filters make, for the tabs (empty values left out). */
function filterQuery(form: FormState): string {
  const query = new URLSearchParams();
  for (const name of ["from", "to", "ownerId"])
    if (form.values[name]) query.set(name, form.values[name] as string);
  const text = query.toString();
  return text ? `?${text}` : "";
}

/**
 * One report: the tabs, the filters (a plain GET form, which htmx upgrades to swap this
 * section alone) and the charts, each followed by its data table and CSV download. The page
 * and the htmx answer are this same section. Refused filters are shown at their fields, and
 * no charts.
 */
export function reportSection(p: ReportPageProps): Html {
  const action = `${p.base}/reports/${p.report.name}`;
  const swap = html`hx-get="${action}" hx-target="#report" hx-swap="outerHTML" hx-push-url="true" hx-sync="this:replace" hx-nonce="${p.ctx.nonce}"`;
  const query = filterQuery(p.form);
  const problems = Object.entries(p.form.errors);
  return html`<div id="report">
<nav class="tabs" aria-label="Reports">${p.reports.map((r) =>
    r.name === p.report.name
      ? html`<strong aria-current="page">${r.title}</strong>`
      : html`<a href="${p.base}/reports/${r.name}${query}">${r.title}</a>`,
  )}<a href="${p.base}/reports/insights">Insights</a></nav>
<form class="filters" method="get" action="${action}" role="search" aria-label="Report filters" ${swap}>
${p.report.usesRange ? html`${filterInput("from", "From", p.form)}${filterInput("to", "To", p.form)}` : html`<input type="hidden" name="from" value="${p.form.values.from ?? ""}"><input type="hidden" name="to" value="${p.form.values.to ?? ""}">`}
${ownerSelect(p.form, p.owners)}
<div class="filter-actions"><button type="submit">Apply</button> <a href="${action}">Reset</a></div>
</form>
${problems.length ? html`<ul class="form-errors" role="alert">${problems.map(([field, message]) => html`<li>${field}: ${message}</li>`)}</ul>` : ""}
<p class="hint">${p.report.summary} Days, weeks, months and quarters are in your time zone (${p.zone}).</p>
${p.charts ? html`<div class="report-charts">${p.charts.map((c) => chartFigure(c.id, c.spec, c.csvHref))}</div>` : ""}
</div>`;
}

/** Reports (`/t/<slug>/reports/<name>`): the whole page around reportSection. */
export function reportPage(p: ReportPageProps): Html {
  return page(p.ctx, {
    title: `${p.report.title} report`,
    nav: "reports",
    body: html`<style nonce="${p.ctx.nonce}">${STYLE}</style>
<div class="page-head"><h1>Reports</h1></div>
${reportSection(p)}`,
  });
}
