/**
 * A chart as the views draw it and the CSV download writes it: what is plotted (categories
 * along x, one or more series of values) and the data table that goes with it. Built from a
 * report's figures on the server's thread (a few hundred values at most).
 */

export type ChartKind = "bar" | "stacked-bar" | "line";
/** How values read: counts, percentages (0–100), days, or money in `currency`'s major unit. */
export type ChartUnit = "count" | "percent" | "days" | "money";

export interface ChartSeries {
  name: string;
  /** One per category; null where there is nothing to plot (a month without closed deals). */
  values: (number | null)[];
}

export type TableCell = string | number | null;

export interface ChartTable {
  /** Column headings; `numeric` columns are right-aligned. */
  columns: { label: string; numeric?: boolean }[];
  rows: TableCell[][];
}

export interface ChartSpec {
  /** Unique within its report, lower-case letters, digits and dashes: the CSV's name and the element ids. */
  id: string;
  title: string;
  /** One or two sentences saying what the chart shows (its SVG <desc>). */
  description: string;
  kind: ChartKind;
  unit: ChartUnit;
  currency?: string;
  /** Short labels along x (the table has the full ones). */
  categories: string[];
  series: ChartSeries[];
  table: ChartTable;
  /** Something the reader should know (amounts in other currencies, a capped list). */
  note?: string;
}
