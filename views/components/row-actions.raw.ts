import { type Html, trustedHtml } from "../html.ts";
import type { RowContext } from "./row-context.ts";

/**
 * Edit and Delete for a list row. Without JavaScript they are links to the edit page and the
 * delete confirmation page; htmx turns Edit into an in-place form and Delete into a confirmed
 * POST. Both target the row (hx-target is inherited from the list's tbody).
 * `recordPath` is built from a slug and a numeric id only, so it needs no escaping.
 */
export function rowActions(ctx: RowContext, recordPath: string, noun: string): Html {
  if (!ctx.canWrite) return trustedHtml("<td></td>");
  return trustedHtml(
    `<td><span class="actions"><a href="${recordPath}/edit" hx-get="${recordPath}/edit?fragment=row" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">Edit</a> <a href="${recordPath}/delete" class="danger" hx-post="${recordPath}/delete" hx-confirm="Delete this ${noun}?" hx-swap="delete" hx-nonce="${ctx.nonce}">Delete</a></span></td>`,
  );
}
