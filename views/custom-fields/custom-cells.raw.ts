import type { CustomColumns } from "../../src/custom-fields/custom-columns.ts";
import { escapeHtml as e } from "../html.ts";
import { customValueHtml } from "./custom-value.raw.ts";

/** The header cells of a list's custom columns (labels escaped). */
export function customHeaderCells(columns: CustomColumns | undefined): string {
  if (!columns) return "";
  let out = "";
  for (const f of columns.fields) out += `<th scope="col">${e(f.label)}</th>`;
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
