import type { DealRecord } from "../../src/deals/deal-record.ts";
import type { ListPage } from "../../src/lists/page.ts";
import { type BulkBarProps, bulkBar, selectHeader } from "../components/bulk-bar.ts";
import { formatCount } from "../components/format.ts";
import { hiddenColumnsStyle, type ListColumns } from "../components/list-columns.ts";
import { pager } from "../components/pager.ts";
import type { RowContext } from "../components/row-context.ts";
import { type SaveViewFormProps, saveViewForm } from "../components/saved-views-bar.ts";
import { customHeaderCells } from "../custom-fields/custom-cells.ts";
import { type Html, html, join, trustedHtml } from "../html.ts";
import { dealRow } from "./deal-row.ts";

export interface DealsResultsProps {
  page: ListPage<DealRecord>;
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

/** The deals table and pager under the filters; htmx swaps this whole section. */
export function dealsResults(p: DealsResultsProps): Html {
  return html`<section id="deals-results" class="results" aria-label="Deals">
<p class="summary">${formatCount(p.total)} ${p.total === 1 ? "deal" : "deals"}${p.filtered ? " match" : ""}</p>
${hiddenColumnsStyle("#deals-results table.list", p.row, p.columns)}${p.saveView ? saveViewForm(p.saveView) : ""}${p.bulk ? bulkBar(p.bulk) : ""}
<table class="list">
<thead><tr>${trustedHtml(selectHeader(p.row))}<th scope="col">Deal</th><th scope="col" class="num">Amount</th><th scope="col">Stage</th><th scope="col">Pipeline</th><th scope="col">Company</th><th scope="col">Tags</th><th scope="col">Owner</th><th scope="col">Closes</th><th scope="col">Created</th>${trustedHtml(customHeaderCells(p.row.custom))}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody id="deal-rows" hx-target:inherited="closest tr">
${join(p.page.rows.map((d) => dealRow(d, p.row)))}
</tbody>
</table>
${p.page.rows.length === 0 ? html`<p class="empty">No deals${p.filtered ? " match these filters" : " yet"}.</p>` : ""}
${pager({ baseHref: p.href, nextCursor: p.page.nextCursor, prevCursor: p.page.prevCursor, target: "#deals-results", nonce: p.row.nonce })}
</section>`;
}
