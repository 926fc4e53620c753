import type { ChartKind, ChartSpec } from "../../src/reports/chart-spec.ts";

/**
 * A chart whose every label (title, description, categories, series, table headings and
 * cells, note) is the hostile string `s`, for test/views-hostile.test.ts and the reports'
 * own tests. Values include a null (a gap) and a zero.
 */
export function hostileChart(s: string, kind: ChartKind): ChartSpec {
  return {
    id: "hostile",
    title: s,
    description: s,
    kind,
    unit: "money",
    currency: "USD",
    categories: [s, `${s}2`, `${s}3`],
    series: [
      { name: s, values: [1200, null, 0] },
      { name: `${s}2`, values: [300, 50, 10] },
    ],
    table: {
      columns: [{ label: s }, { label: s, numeric: true }],
      rows: [
        [s, 1200],
        [s, null],
      ],
    },
    note: s,
  };
}
