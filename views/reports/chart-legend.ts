import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import { type Html, html } from "../html.ts";
import { seriesColor } from "./chart-frame.ts";

/**
 * A chart's key: each series' colour and name (styled by .chart-legend in app.css). Reports
 * show it from two series up; the ops dashboard also for one, where it names the line.
 */
export function chartLegend(spec: ChartSpec, minSeries = 2): Html {
  if (spec.series.length < minSeries) return html``;
  return html`<ul class="chart-legend">${spec.series.map(
    (s, i) =>
      html`<li><svg viewBox="0 0 10 10" aria-hidden="true" class="swatch"><rect width="10" height="10" fill="${seriesColor(spec, i)}"></rect></svg>${s.name}</li>`,
  )}</ul>`;
}
