import type { ListPage } from "../../src/lists/page.ts";
import { type BulkBarProps, bulkBar, bulkMatching } from "../components/bulk-bar.ts";
import { formatCount } from "../components/format.ts";
import { type ColumnChoice, hiddenColumnsStyle, type ListColumns } from "../components/list-columns.ts";
import { pager } from "../components/pager.ts";
import type { RowContext } from "../components/row-context.ts";
import { type SaveViewFormProps, saveViewForm } from "../components/saved-views-bar.ts";
import { selectHeader } from "../components/select-cell.raw.ts";
import { type ListSorting, sortHeader } from "../components/sort-header.raw.ts";
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
  /** The columns a click on the header sorts by, with their links and the current direction. */
  sorting?: ListSorting;
}

/** A list's title: "Contacts". */
export function listTitle(view: Pick<RecordView<{ id: number }>, "path">): string {
  return view.path.charAt(0).toUpperCase() + view.path.slice(1);
}

function headerCell(column: ColumnChoice, sorting: ListSorting | undefined): Html {
  return sortHeader(column.label, sorting?.[column.key], column.numeric);
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

/** "No contacts yet." (or "…match these filters.") under an empty list. */
function emptyLine(view: Pick<RecordView<{ id: number }>, "path">, filtered: boolean): Html {
  return html`<p class="empty">No ${view.path}${filtered ? " match these filters" : " yet"}.</p>`;
}

/**
 * What a row added or deleted in place changes above and below the rows, as out-of-band swaps
 * in the same answer: the list's summary ("3 companies"), its empty line and the bulk form's
 * "all 3 matching", each into the holder the list has for it (so an empty list gets its line back).
 */
export function liveListCounts(
  view: Pick<RecordView<{ id: number }>, "path" | "type">,
  p: ListSummaryProps,
): Html {
  const swap = html` hx-swap-oob="true" hx-nonce="${p.nonce}"`;
  return html`<div id="${view.path}-summary"${swap}>${listSummary(view, p)}</div><div id="${view.path}-empty"${swap}>${
    p.total === 0 && !p.moreThan ? emptyLine(view, p.filtered) : ""
  }</div>${bulkMatching(p.total, p.moreThan, { nonce: p.nonce })}`;
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
<div class="results-head"><div id="${view.path}-summary">${listSummary(view, { total: p.total, moreThan: p.moreThan, filtered: p.filtered, countHref: p.countHref, nonce: p.row.nonce })}</div>
${p.saveView ? saveViewForm(p.saveView) : ""}${p.bulk ? bulkBar(p.bulk) : ""}
</div>
${hiddenColumnsStyle(`#${id} table.list`, p.row, p.columns)}<div class="table-scroll">
<table class="list">
<thead><tr>${trustedHtml(selectHeader(p.row))}${sortHeader(view.nameHeader, p.sorting?.name)}${join(view.columns.map((c) => headerCell(c, p.sorting)))}${trustedHtml(customHeaderCells(p.row.custom, p.sorting))}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody id="${view.type}-rows" tabindex="-1" data-row-actions="${p.row.base}/${view.path}" data-noun="${view.type}"${view.inlineEdit ? html` data-inline-edit` : ""}>
${join(p.page.rows.map((record) => view.row(record, p.row)))}
</tbody>
</table>
</div>
<div id="${view.path}-empty">${p.page.rows.length === 0 ? emptyLine(view, p.filtered) : ""}</div>
<div class="results-foot">${exportLinks(p.href)}${pager({ baseHref: p.href, nextCursor: p.page.nextCursor, prevCursor: p.page.prevCursor, target: `#${id}`, nonce: p.row.nonce })}</div>
</section>`;
}
