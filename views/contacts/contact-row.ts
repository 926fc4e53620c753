import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { formatDay } from "../components/format.ts";
import { rowActions } from "../components/row-actions.ts";
import type { RowContext } from "../components/row-context.ts";
import { tagChips } from "../components/tags.ts";
import { type Html, html } from "../html.ts";

/** One contact in the list. The list page, a search, a create and a save all render this same row. */
export function contactRow(c: ContactRecord, ctx: RowContext): Html {
  const path = `${ctx.base}/contacts/${c.id}`;
  return html`<tr id="contact-${c.id}">
<td><a href="${path}">${c.firstName} ${c.lastName}</a></td>
<td>${c.email ? html`<a href="mailto:${c.email}">${c.email}</a>` : ""}</td>
<td class="nowrap">${c.phone}</td>
<td>${c.title}</td>
<td>${c.companyId ? html`<a href="${ctx.base}/companies/${c.companyId}">${c.companyName}</a>` : ""}</td>
<td>${tagChips(c.tags, `${ctx.base}/contacts`)}</td>
<td>${c.ownerName}</td>
<td><time datetime="${formatDay(c.createdAt)}">${formatDay(c.createdAt)}</time></td>
${rowActions(ctx, path, "contact")}
</tr>`;
}
