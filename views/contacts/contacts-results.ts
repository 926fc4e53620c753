import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import type { ListPage } from "../../src/lists/page.ts";
import { type BulkBarProps, bulkBar, selectHeader } from "../components/bulk-bar.ts";
import { formatCount } from "../components/format.ts";
import { hiddenColumnsStyle, type ListColumns } from "../components/list-columns.ts";
import { pager } from "../components/pager.ts";
import type { RowContext } from "../components/row-context.ts";
import { type SaveViewFormProps, saveViewForm } from "../components/saved-views-bar.ts";
import { customHeaderCells } from "../custom-fields/custom-cells.ts";
import { type Html, html, join, trustedHtml } from "../html.ts";
import { contactRow } from "./contact-row.ts";

export interface ContactsResultsProps {
  page: ListPage<ContactRecord>;
  total: number;
  filtered: boolean;
  /** The list URL with the current filters, for the pager. */
  href: string;
  row: RowContext;
  /** The bulk-change form, for those who may change records. */
  bulk?: BulkBarProps;
  /** "Save this view", for signed-in users. */
  saveView?: SaveViewFormProps;
  /** The optional columns and which are shown (all when not chosen). */
  columns?: ListColumns;
}

/** The table and pager under the filters; htmx swaps this whole section when filters or pages change. */
export function contactsResults(p: ContactsResultsProps): Html {
  const noun = p.total === 1 ? "contact" : "contacts";
  return html`<section id="contacts-results" class="results" aria-label="Contacts">
<p class="summary">${formatCount(p.total)} ${noun}${p.filtered ? " match" : ""}</p>
${hiddenColumnsStyle("#contacts-results table.list", p.row, p.columns)}${p.saveView ? saveViewForm(p.saveView) : ""}${p.bulk ? bulkBar(p.bulk) : ""}
<table class="list">
<thead><tr>${trustedHtml(selectHeader(p.row))}<th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Title</th><th scope="col">Company</th><th scope="col">Tags</th><th scope="col">Owner</th><th scope="col">Created</th>${trustedHtml(customHeaderCells(p.row.custom))}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody id="contact-rows" hx-target:inherited="closest tr">
${join(p.page.rows.map((c) => contactRow(c, p.row)))}
</tbody>
</table>
${p.page.rows.length === 0 ? html`<p class="empty">No contacts${p.filtered ? " match these filters" : " yet"}.</p>` : ""}
${pager({ baseHref: p.href, nextCursor: p.page.nextCursor, prevCursor: p.page.prevCursor, target: "#contacts-results", nonce: p.row.nonce })}
</section>`;
}
