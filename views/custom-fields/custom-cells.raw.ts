import type { CustomColumns } from "../../src/custom-fields/custom-columns.ts";
import { type ListSorting, sortHeaderRaw } from "../components/sort-header.raw.ts";
import { customValueHtml } from "./custom-value.raw.ts";

/** The header cells of a list's custom columns (labels escaped), sorting by `cf.<key>` where given. */
export function customHeaderCells(columns: CustomColumns | undefined, sorting?: ListSorting): string {
  if (!columns) return "";
  let out = "";
  for (const f of columns.fields) out += sortHeaderRaw(f.label, sorting?.[`cf.${f.key}`]);
  return out;
}

/** One row's custom cells, in the header's order. A plain template: every value is escaped by customValueHtml. */
export function customCells(columns: CustomColumns | undefined, id: number): string {
  if (!columns) return "";
  const values = columns.values.get(id) ?? {};
  let out = "";
  for (const f of columns.fields) out += `<td>${customValueHtml(f, values[f.key])}</td>`;
  return out;
}
