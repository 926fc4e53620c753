import type { ListPage } from "../../src/lists/page.ts";
import { type BulkBarProps, bulkBar } from "../components/bulk-bar.ts";
import { formatCount } from "../components/format.ts";
import { type ColumnChoice, hiddenColumnsStyle, type ListColumns } from "../components/list-columns.ts";
import { pager } from "../components/pager.ts";
import type { RowContext } from "../components/row-context.ts";
import { type SaveViewFormProps, saveViewForm } from "../components/saved-views-bar.ts";
import { selectHeader } from "../components/select-cell.raw.ts";
import { customHeaderCells } from "../custom-fields/custom-cells.raw.ts";
import { exportLinks } from "../exports/export-link.ts";
import { type Html, html, join, trustedHtml } from "../html.ts";
import type { RecordView } from "./record-view.ts";

/** What a list's results section is given (src/records/record-list-props.ts builds it). */
export interface RecordResultsProps<R> {
  page: ListPage<R>;
  /** How many match; with `moreThan`, only that more than this many do (the exact count comes later). */
  total: number;
  moreThan?: boolean;
  /** Where htmx fetches the exact count when `moreThan` (the list's count route with its filters). */
  countHref?: string;
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

/** A list's title: "Contacts". */
export function listTitle(view: Pick<RecordView<{ id: number }>, "path">): string {
  return view.path.charAt(0).toUpperCase() + view.path.slice(1);
}

function headerCell(column: ColumnChoice): Html {
  return column.numeric
    ? html`<th scope="col" class="num">${column.label}</th>`
    : html`<th scope="col">${column.label}</th>`;
}

/** What a list's summary says: its total, exact or "more than", in the list's words. */
export interface ListSummaryProps {
  total: number;
  moreThan?: boolean;
  filtered: boolean;
  /** Shown after the count: why it is not exact (the pool refused to count now). */
  note?: string;
  countHref?: string;
  nonce: string;
}

/**
 * "1,234 contacts match", or "More than 1,000 contacts match" while the exact count is made
 * in the background: htmx then asks `countHref` as the list loads and swaps this paragraph for
 * its answer. Never a number that is not exact.
 */
export function listSummary(
  view: Pick<RecordView<{ id: number }>, "path" | "type">,
  p: ListSummaryProps,
): Html {
  const words = `${p.total === 1 && !p.moreThan ? view.type : view.path}${p.filtered ? " match" : ""}`;
  if (!p.moreThan) return html`<p class="summary">${formatCount(p.total)} ${words}</p>`;
  const text = `More than ${formatCount(p.total)} ${words}`;
  if (p.note || !p.countHref)
    return html`<p class="summary">${text}${p.note ? html` <small>(${p.note})</small>` : ""}</p>`;
  return html`<p class="summary" aria-live="polite" hx-get="${p.countHref}" hx-trigger="load" hx-swap="outerHTML" hx-nonce="${p.nonce}">${text}</p>`;
}

/**
 * The table and pager under a list's filters, for any kind of record (its rows from its view);
 * htmx swaps this whole section when filters or pages change.
 */
export function recordResults<R extends { id: number }, X>(
  view: RecordView<R, X>,
  p: RecordResultsProps<R>,
): Html {
  const id = `${view.path}-results`;
  return html`<section id="${id}" class="results" aria-label="${listTitle(view)}">
${listSummary(view, { total: p.total, moreThan: p.moreThan, filtered: p.filtered, countHref: p.countHref, nonce: p.row.nonce })}
${hiddenColumnsStyle(`#${id} table.list`, p.row, p.columns)}${exportLinks(p.href)}${p.saveView ? saveViewForm(p.saveView) : ""}${p.bulk ? bulkBar(p.bulk) : ""}
<table class="list">
<thead><tr>${trustedHtml(selectHeader(p.row))}<th scope="col">${view.nameHeader}</th>${join(view.columns.map(headerCell))}${trustedHtml(customHeaderCells(p.row.custom))}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody id="${view.type}-rows" tabindex="-1" data-row-actions="${p.row.base}/${view.path}" data-noun="${view.type}"${view.inlineEdit ? html` data-inline-edit` : ""}>
${join(p.page.rows.map((record) => view.row(record, p.row)))}
</tbody>
</table>
${p.page.rows.length === 0 ? html`<p class="empty">No ${view.path}${p.filtered ? " match these filters" : " yet"}.</p>` : ""}
${pager({ baseHref: p.href, nextCursor: p.page.nextCursor, prevCursor: p.page.prevCursor, target: `#${id}`, nonce: p.row.nonce })}
</section>`;
}
