import type { Context } from "hono";
import { columnsParam, listColumns } from "../../views/components/list-columns.ts";
import { listHref } from "../../views/components/list-filters.ts";
import type { RecordListPageProps } from "../../views/components/record-list-page-props.ts";
import type { ListSorting } from "../../views/components/sort-header.raw.ts";
import {
  type ListSummaryProps,
  listSummary,
  type RecordResultsProps,
  recordResults,
} from "../../views/records/record-results.ts";
import type { RecordView } from "../../views/records/record-view.ts";
import { listUsers } from "../auth/users.ts";
import { AppError } from "../core/errors.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { changedCount, pageCsrfToken, rowContext } from "../http/page-context.ts";
import { cappedCount, exactCount, knownExactCount, LIST_COUNT_CAP } from "../lists/count-cache.ts";
import { defaultOrder } from "../lists/keyset.ts";
import { filterKey, filterValues, isFiltered } from "../lists/record-filter.ts";
import { renderList } from "../lists/render-cache.ts";
import { savedViewsBarProps, saveViewFormProps } from "../saved-views/saved-views-props.ts";
import { workspaceLocale } from "../settings/workspace-money.ts";
import { allTags } from "../tags/set-tags.ts";
import { bulkBarProps } from "./bulk-bar-props.ts";
import type { KindRecord, RecordKind } from "./record-kind.ts";

/** The parts of a list page every kind of record shares; the results as a string, for a fragment. */
export type RecordListProps = Omit<RecordListPageProps, "ctx" | "results"> & { results: string };

/** The list's filters alone, for the count cache: the shared ones and the kind's own. */
function countKey(filters: readonly string[], params: Record<string, unknown>): string {
  return filters.length
    ? JSON.stringify([filterKey(params), ...filters.map((f) => params[f])])
    : filterKey(params);
}

/** The list's filters alone, as its count route takes them (no sort, no columns). */
function countValues(values: Record<string, string | undefined>): Record<string, string | undefined> {
  const { sort: _sort, order: _order, cols: _cols, ...filters } = values;
  return filters;
}

/**
 * The header links that sort a list: one per column the list can sort by (the name, the
 * columns among the kind's sorts, every custom field). The sorted column's link turns its
 * order round; another column's starts in that sort's own default order (names A to Z, the
 * rest newest or largest first), as the keyset pagination reads it (lists/keyset.ts). The
 * links keep the filters and columns and drop the cursor: a new order starts on page one.
 */
export function listSorting(
  href: string,
  values: Record<string, string | undefined>,
  sortable: string[],
): ListSorting {
  const current = values.sort ?? "createdAt";
  const order = values.order ?? defaultOrder(current);
  const sorting: ListSorting = {};
  for (const key of sortable) {
    const sorted = key === current;
    const next = sorted ? (order === "asc" ? "desc" : "asc") : defaultOrder(key);
    sorting[key] = {
      href: listHref(href, { ...values, sort: key, order: next }),
      state: sorted ? (order === "asc" ? "ascending" : "descending") : undefined,
    };
  }
  return sorting;
}

/**
 * How many records match a list's filters, exactly: counted in the pool (all of them may be
 * read) and cached for the workspace's version, as the list's count route answers htmx when
 * the page could only say "more than". A closed request cancels the count.
 */
export async function exactListCount<P extends Record<string, unknown>>(
  c: Context<ViewerEnv>,
  deps: AppDeps,
  kind: Pick<RecordKind<KindRecord, P>, "path" | "filters" | "count">,
  params: P,
): Promise<number> {
  const tenant = c.var.tenant;
  const shard = c.var.shard;
  const key = countKey(kind.filters, params);
  // At most LIST_COUNT_CAP matches are counted here, as the page does (a write since the page,
  // or a count asked directly): exact without the pool, so a busy pool never makes a handful
  // of matches read "more than 1,000".
  const capped = cappedCount(shard, kind.path, key, (upTo) => kind.count(shard, params, upTo));
  if (capped.exact) return capped.n;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(filterValues(params)))
    if (value !== undefined) query[name] = value;
  const signal = c.req.raw.signal;
  const count = () =>
    exactCount(shard, kind.path, key, async () => {
      const input = {
        tenantId: tenant.id,
        slug: tenant.slug,
        file: tenant.file,
        params: { kind: kind.path, query },
      };
      const result = await deps.pool.run<{ count: number }>("exports.count", input, { signal });
      return result.count;
    });
  // A count under way is shared by every request that asks meanwhile, and cancelled with the
  // request that started it: one still open counts again rather than answer "cancelled".
  for (let attempt = 1; ; attempt++) {
    try {
      return await count();
    } catch (error) {
      const cancelledByAnother = error instanceof AppError && error.status === 499 && !signal.aborted;
      if (!cancelledByAnother || attempt === 3) throw error;
    }
  }
}

/**
 * The list's summary with its exact total (the count route's answer to htmx), or, when the
 * pool refuses to count now (busy, too slow, cancelled), "more than" the cap with the reason.
 */
export async function listCountSummary<R extends KindRecord, P extends Record<string, unknown>, X>(
  c: Context<ViewerEnv>,
  deps: AppDeps,
  kind: Pick<RecordKind<R, P>, "path" | "filters" | "count">,
  view: RecordView<R, X>,
  params: P,
): Promise<string> {
  const filtered = isFiltered(params) || kind.filters.some((f) => Boolean(params[f]));
  try {
    const total = await exactListCount(c, deps, kind, params);
    return listSummary(view, { total, filtered, nonce: c.var.nonce }).value;
  } catch (error) {
    if (!(error instanceof AppError) || ![499, 503, 504].includes(error.status)) throw error;
    const note = `not counted exactly: ${error.message}`;
    return listSummary(view, { total: LIST_COUNT_CAP, moreThan: true, filtered, note, nonce: c.var.nonce })
      .value;
  }
}

/**
 * A list's summary as its page would show it now (the total from the count cache, exact up to
 * LIST_COUNT_CAP, else "more than" with the count route to ask): for an answer that added or
 * deleted a row in place.
 */
export function listSummaryProps<P extends Record<string, unknown>>(
  c: Context<ViewerEnv>,
  kind: Pick<RecordKind<KindRecord, P>, "path" | "filters" | "count">,
  params: P,
): ListSummaryProps {
  const shard = c.var.shard;
  const total = cappedCount(shard, kind.path, countKey(kind.filters, params), (upTo) =>
    kind.count(shard, params, upTo),
  );
  return {
    total: total.n,
    moreThan: !total.exact,
    filtered: isFiltered(params) || kind.filters.some((f) => Boolean(params[f])),
    countHref: listHref(`/t/${c.var.tenant.slug}/${kind.path}/count`, countValues(filterValues(params))),
    nonce: c.var.nonce,
  };
}

/**
 * A kind's list page from its parsed parameters: the results (rows, pager, custom columns, the
 * save-view and bulk forms) go through the render cache, keyed by the parameters, the viewer's
 * rights and the chosen columns, and the total through the count cache. `results` is all an
 * htmx request for new results gets: owners, saved views and tags are getters, queried only
 * when the full page reads them.
 */
export function recordListProps<R extends KindRecord, P extends Record<string, unknown>, X>(
  c: Context<ViewerEnv>,
  deps: AppDeps,
  kind: Pick<RecordKind<R, P>, "type" | "path" | "list" | "count" | "filters" | "stages">,
  view: RecordView<R, X>,
  params: P,
): RecordListProps {
  const shard = c.var.shard;
  const values = filterValues(params);
  const fields = listFields(shard, kind.type);
  const columns = listColumns(view.columns, fields, c.req.queries("cols") ?? []);
  values.cols = columnsParam(columns.visible);
  const row = { ...rowContext(c), locale: workspaceLocale(shard) };
  const csrfToken = pageCsrfToken(c, deps);
  const filtered = isFiltered(params) || kind.filters.some((f) => Boolean(params[f]));
  const key = countKey(kind.filters, params);
  const sorts = new Set(view.list.sorts.map((o) => o.value));
  const sortable = [
    ...["name", ...view.columns.map((c) => c.key)].filter((k) => sorts.has(k)),
    ...fields.map((f) => `cf.${f.key}`),
  ];
  // Rendered again once the pool has counted exactly: the cached "more than" would hide it.
  const known = knownExactCount(shard, kind.path, key);
  const results = renderList(
    shard,
    deps.config.renderCache,
    kind.path,
    JSON.stringify([params, row.canWrite, columns.visible, known]),
    { nonce: c.var.nonce, csrfToken },
    (secrets) => {
      const page = kind.list(shard, params);
      const total = cappedCount(shard, kind.path, key, (upTo) => kind.count(shard, params, upTo));
      const props: RecordResultsProps<R> = {
        page,
        total: total.n,
        moreThan: !total.exact,
        countHref: listHref(`${row.base}/${kind.path}/count`, countValues(values)),
        columns,
        sorting: listSorting(`${row.base}/${kind.path}`, values, sortable),
        saveView: saveViewFormProps(row.base, kind.path, values, secrets.csrfToken, row.canWrite),
        bulk: row.canWrite
          ? {
              ...bulkBarProps(shard, kind, row.base, values, total.n, secrets.csrfToken),
              moreThan: !total.exact,
            }
          : undefined,
        filtered,
        href: listHref(`${row.base}/${kind.path}`, values),
        row: {
          ...row,
          nonce: secrets.nonce,
          custom: customColumns(
            shard,
            kind.type,
            page.rows.map((r) => r.id),
          ),
        },
      };
      return recordResults(view, props).value;
    },
  );
  return {
    results,
    row,
    filters: values,
    get owners() {
      return listUsers(shard);
    },
    customFields: fields,
    columns,
    get savedViews() {
      return savedViewsBarProps(c, kind.path, values, csrfToken);
    },
    changed: changedCount(c.req.query("changed")),
    get tags() {
      return allTags(shard);
    },
  };
}
