import { escapeHtml as e } from "../html.ts";
import type { RowContext } from "./row-context.ts";

/**
 * Edit and Delete for a list row: plain links to the edit page and the delete confirmation
 * page, which is all a browser without JavaScript needs. With it, one listener for the whole
 * table (app.js, reading the tbody's data-row-actions) turns Edit into the in-place form and
 * Delete into a confirmed POST that removes the row. The rows carry no htmx attributes: per-row
 * hx-get, hx-post, hx-confirm and hx-nonce were 40% of a list page's bytes.
 * `recordPath` is built from a slug and a numeric id only, so it needs no escaping; `name` is
 * the record's name as text, escaped here: it ends each link's accessible name ("Edit Ada
 * Lovelace"), visually hidden, so a screen reader's list of links tells the rows apart.
 */
export function rowActions(ctx: RowContext, recordPath: string, name: string): string {
  if (!ctx.canWrite) return "<td></td>";
  // A bare span, hidden by the .row-actions rule in app.css: a list repeats it twice a row.
  const hidden = `<span> ${e(name)}</span>`;
  return `<td class="row-actions"><a href="${recordPath}/edit">Edit${hidden}</a> <a href="${recordPath}/delete" class="danger">Delete${hidden}</a></td>`;
}
