import { escapeHtml } from "../html.ts";
import type { RowContext } from "./row-context.ts";

/**
 * The first cell of a list row: its checkbox in the bulk form (views/components/bulk-bar.ts),
 * only for those who may change records. Hand-escaped like the rows it starts: `label` is text.
 */
export function selectCell(ctx: RowContext, id: number, label: string): string {
  return ctx.canWrite
    ? `<td><input type="checkbox" name="ids" value="${id}" form="bulk-form" aria-label="Select ${escapeHtml(label)}"></td>`
    : "";
}

/**
 * The header cell above the row checkboxes, with the select-all box: `hidden` until app.js
 * (which ticks the rows) shows it, so a browser without JavaScript never shows a box that
 * does nothing.
 */
export function selectHeader(ctx: RowContext): string {
  return ctx.canWrite
    ? `<th scope="col" class="select"><span class="visually-hidden">Select</span><input type="checkbox" class="select-all" aria-label="Select all on this page" hidden></th>`
    : "";
}
