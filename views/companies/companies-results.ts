import type { CompanyRecord } from "../../src/companies/company-record.ts";
import type { ListPage } from "../../src/lists/page.ts";
import { type BulkBarProps, bulkBar, selectHeader } from "../components/bulk-bar.ts";
import { formatCount } from "../components/format.ts";
import { hiddenColumnsStyle, type ListColumns } from "../components/list-columns.ts";
import { pager } from "../components/pager.ts";
import type { RowContext } from "../components/row-context.ts";
import { type SaveViewFormProps, saveViewForm } from "../components/saved-views-bar.ts";
import { customHeaderCells } from "../custom-fields/custom-cells.ts";
import { type Html, html, join, trustedHtml } from "../html.ts";
import { companyRow } from "./company-row.ts";

export interface CompaniesResultsProps {
  page: ListPage<CompanyRecord>;
  total: number;
  filtered: boolean;
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
export function companiesResults(p: CompaniesResultsProps): Html {
  const noun = p.total === 1 ? "company" : "companies";
  return html`<section id="companies-results" class="results" aria-label="Companies">
<p class="summary">${formatCount(p.total)} ${noun}${p.filtered ? " match" : ""}</p>
${hiddenColumnsStyle("#companies-results table.list", p.row, p.columns)}${p.saveView ? saveViewForm(p.saveView) : ""}${p.bulk ? bulkBar(p.bulk) : ""}
<table class="list">
<thead><tr>${trustedHtml(selectHeader(p.row))}<th scope="col">Name</th><th scope="col">Website</th><th scope="col">Phone</th><th scope="col">City</th><th scope="col">Country</th><th scope="col" class="num">Contacts</th><th scope="col">Tags</th><th scope="col">Owner</th><th scope="col">Created</th>${trustedHtml(customHeaderCells(p.row.custom))}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody id="company-rows" hx-target:inherited="closest tr">
${join(p.page.rows.map((co) => companyRow(co, p.row)))}
</tbody>
</table>
${p.page.rows.length === 0 ? html`<p class="empty">No companies${p.filtered ? " match these filters" : " yet"}.</p>` : ""}
${pager({ baseHref: p.href, nextCursor: p.page.nextCursor, prevCursor: p.page.prevCursor, target: "#companies-results", nonce: p.row.nonce })}
</section>`;
}
