import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import { type Html, html } from "../html.ts";
import {
  bands,
  chartFrame,
  formatValue,
  niceScale,
  PLOT,
  seriesColor,
  svgNumber,
  svgText,
  yOf,
} from "./chart-frame.ts";

/** A bar per category of the first series (null: no bar); each bar tells its value on hover. */
export function barChart(id: string, spec: ChartSpec): Html {
  const values = spec.series[0]?.values ?? [];
  const scale = niceScale(Math.max(0, ...values.map((v) => v ?? 0)), spec.unit);
  const { band, centres } = bands(spec.categories.length);
  const width = Math.max(1, Math.min(48, band * 0.7));
  const bars = spec.categories.map((category, i) => {
    const value = values[i];
    if (value === null || value === undefined) return "";
    const y = yOf(value, scale.max);
    return html`<rect x="${svgNumber((centres[i] ?? 0) - width / 2)}" y="${svgNumber(y)}" width="${svgNumber(width)}" height="${svgNumber(PLOT.bottom - y)}" fill="${seriesColor(spec, 0)}"><title>${svgText(`${category}: ${formatValue(value, spec, false)}`)}</title></rect>`;
  });
  return chartFrame(id, spec, scale, centres, bars);
}
