import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import { type Html, html } from "../html.ts";
import { barChart } from "./bar-chart.ts";
import { chartLegend } from "./chart-legend.ts";
import { dataTable } from "./data-table.ts";
import { lineChart } from "./line-chart.ts";
import { stackedBarChart } from "./stacked-bar-chart.ts";

const DRAW = { bar: barChart, "stacked-bar": stackedBarChart, line: lineChart } as const;

/**
 * One chart of a report: its heading, the SVG, its legend, a note if any, the data table and
 * the CSV download of that table. `id` is unique on the page; `csvHref` is the download's URL.
 */
export function chartFigure(id: string, spec: ChartSpec, csvHref: string): Html {
  return html`<section class="report-chart" aria-labelledby="${id}-heading">
<h2 id="${id}-heading">${spec.title}</h2>
${DRAW[spec.kind](id, spec)}
${chartLegend(spec)}
${spec.note ? html`<p class="hint">${spec.note}</p>` : ""}
${dataTable(id, spec)}
<p><a href="${csvHref}" download>Download CSV</a></p>
</section>`;
}
