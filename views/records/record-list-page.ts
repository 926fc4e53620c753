import { flashFragment } from "../components/flash.ts";
import type { FormState } from "../components/form-field.ts";
import { listFilters } from "../components/list-filters.ts";
import type { RecordListPageProps } from "../components/record-list-page-props.ts";
import { savedViewsBar } from "../components/saved-views-bar.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import { quickAddDisclosure } from "./quick-add-form.ts";
import { listTitle } from "./record-results.ts";
import type { RecordView } from "./record-view.ts";

export interface RecordListViewProps<X> extends RecordListPageProps {
  /** Quick add's form (empty, or as sent with its errors). */
  newForm: FormState;
  /** What the kind's own filters need (deals: the pipelines). */
  extra: X;
}

/**
 * A kind's list page, one toolbar over the results: the title, the views as tabs, the search
 * with the other filters behind "Filters (n)", the columns, and the header's actions (quick
 * add behind its "New …" disclosure, import). Every part works without JavaScript.
 */
export function recordListPage<R extends { id: number }, X>(
  view: RecordView<R, X>,
  p: RecordListViewProps<X>,
): Html {
  const base = p.row.base;
  const title = listTitle(view);
  const quickAdd = view.quickAdd && p.row.canWrite;
  const actions = view.list.actions
    ? view.list.actions(base, p.row.canWrite)
    : quickAdd
      ? quickAddDisclosure(view, base, p.newForm, p.ctx.csrfToken, p.ctx.nonce)
      : p.row.canWrite
        ? html`<a class="button" href="${base}/${view.path}/new">New ${view.type}</a>`
        : "";
  return page(p.ctx, {
    title,
    flash:
      p.changed === undefined
        ? undefined
        : flashFragment("notice", `${p.changed} ${p.changed === 1 ? view.type : view.path} changed.`),
    nav: view.path,
    skipTo: `${view.type}-rows`,
    body: html`<div class="page-head list-toolbar">
  <h1>${title}</h1>
  ${savedViewsBar(p.savedViews)}
  ${listFilters({
    action: `${base}/${view.path}`,
    target: `#${view.path}-results`,
    nonce: p.ctx.nonce,
    searchPlaceholder: view.list.searchPlaceholder,
    values: p.filters,
    tags: p.tags,
    owners: p.owners.map((u) => ({ value: String(u.id), label: u.name })),
    sorts: view.list.sorts,
    customFields: p.customFields,
    columns: p.columns,
    extra: view.list.filters?.(p.extra),
  })}
  <div class="list-actions">${actions}${p.row.canWrite ? html` <a class="button secondary" href="${base}/imports?kind=${view.path}">Import</a>` : ""}</div>
</div>
${p.results}`,
  });
}
