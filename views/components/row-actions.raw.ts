import type { RowContext } from "./row-context.ts";

/**
 * Edit and Delete for a list row: plain links to the edit page and the delete confirmation
 * page, which is all a browser without JavaScript needs. With it, one listener for the whole
 * table (app.js, reading the tbody's data-row-actions) turns Edit into the in-place form and
 * Delete into a confirmed POST that removes the row. The rows carry no htmx attributes: per-row
 * hx-get, hx-post, hx-confirm and hx-nonce were 40% of a list page's bytes.
 * `recordPath` is built from a slug and a numeric id only, so it needs no escaping.
 */
export function rowActions(ctx: RowContext, recordPath: string): string {
  if (!ctx.canWrite) return "<td></td>";
  return `<td class="row-actions"><a href="${recordPath}/edit">Edit</a> <a href="${recordPath}/delete" class="danger">Delete</a></td>`;
}
