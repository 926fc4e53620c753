import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import { type Html, html } from "../html.ts";
import {
  bands,
  chartFrame,
  formatValue,
  niceScale,
  seriesColor,
  svgNumber,
  svgText,
  yOf,
} from "./chart-frame.ts";

/**
 * A line per series through the category centres, broken where a value is null (a month with
 * nothing to measure), with a dot per value that tells it on hover.
 */
export function lineChart(id: string, spec: ChartSpec): Html {
  const all = spec.series.flatMap((s) => s.values.map((v) => v ?? 0));
  const scale = niceScale(Math.max(0, ...all), spec.unit);
  const { centres } = bands(spec.categories.length);
  const lines = spec.series.map((series, s) => {
    let path = "";
    let drawing = false;
    series.values.forEach((value, i) => {
      if (value === null) {
        drawing = false;
        return;
      }
      path += `${drawing ? "L" : "M"}${svgNumber(centres[i] ?? 0)} ${svgNumber(yOf(value, scale.max))}`;
      drawing = true;
    });
    const color = seriesColor(spec, s);
    const dots = series.values.map((value, i) =>
      value === null
        ? ""
        : html`<circle cx="${svgNumber(centres[i] ?? 0)}" cy="${svgNumber(yOf(value, scale.max))}" r="3" fill="${color}"><title>${svgText(`${spec.categories[i] ?? ""}, ${series.name}: ${formatValue(value, spec, false)}`)}</title></circle>`,
    );
    return html`${path ? html`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"></path>` : ""}${dots}`;
  });
  return chartFrame(id, spec, scale, centres, lines);
}
