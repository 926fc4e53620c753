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

/** A bar per category made of one segment per series, bottom to top in series order; each segment tells its series and value on hover. */
export function stackedBarChart(id: string, spec: ChartSpec): Html {
  const totals = spec.categories.map((_, i) =>
    spec.series.reduce((sum, s) => sum + Math.max(0, s.values[i] ?? 0), 0),
  );
  const scale = niceScale(Math.max(0, ...totals), spec.unit);
  const { band, centres } = bands(spec.categories.length);
  const width = Math.max(1, Math.min(48, band * 0.7));
  const segments = spec.categories.map((category, i) => {
    let base = 0;
    return spec.series.map((series, s) => {
      const value = Math.max(0, series.values[i] ?? 0);
      if (value === 0) return "";
      const bottom = yOf(base, scale.max);
      base += value;
      const top = yOf(base, scale.max);
      return html`<rect x="${svgNumber((centres[i] ?? 0) - width / 2)}" y="${svgNumber(top)}" width="${svgNumber(width)}" height="${svgNumber(bottom - top)}" fill="${seriesColor(spec, s)}"><title>${svgText(`${category}, ${series.name}: ${formatValue(value, spec, false)}`)}</title></rect>`;
    });
  });
  return chartFrame(id, spec, scale, centres, segments);
}
