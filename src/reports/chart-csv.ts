import { toCsv } from "../privacy/csv.ts";
import type { ChartSpec } from "./chart-spec.ts";

/**
 * A chart's data table as CSV (RFC 4180; text that a spreadsheet would run as a formula gets
 * a leading quote, src/privacy/csv.ts), with a byte-order mark when asked, for Excel.
 */
export function chartCsv(spec: ChartSpec, bom = false): string {
  const csv = toCsv(
    spec.table.columns.map((c) => c.label),
    spec.table.rows,
  );
  return bom ? `\uFEFF${csv}` : csv;
}
