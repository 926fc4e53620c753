import { type Html, html } from "../html.ts";
import type { RowContext } from "./row-context.ts";

/**
 * Edit and Delete for a list row. Without JavaScript they are links to the edit page and the
 * delete confirmation page; htmx turns Edit into an in-place form and Delete into a confirmed POST.
 */
export function rowActions(ctx: RowContext, recordPath: string, noun: string): Html {
  if (!ctx.canWrite) return html`<td></td>`;
  return html`<td><span class="actions">
    <a href="${recordPath}/edit" hx-get="${recordPath}/edit?fragment=row" hx-target="closest tr" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">Edit</a>
    <a href="${recordPath}/delete" class="danger" hx-post="${recordPath}/delete" hx-confirm="Delete this ${noun}? This cannot be undone." hx-target="closest tr" hx-swap="delete" hx-nonce="${ctx.nonce}">Delete</a>
  </span></td>`;
}
