import type { Context } from "hono";
import { columnsParam, listColumns } from "../../views/components/list-columns.ts";
import { listHref } from "../../views/components/list-filters.ts";
import type { RecordListPageProps } from "../../views/components/record-list-page-props.ts";
import { type RecordResultsProps, recordResults } from "../../views/records/record-results.ts";
import type { RecordView } from "../../views/records/record-view.ts";
import { listUsers } from "../auth/users.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { changedCount, pageCsrfToken, rowContext } from "../http/page-context.ts";
import { cachedCount } from "../lists/count-cache.ts";
import { filterKey, filterValues, isFiltered } from "../lists/record-filter.ts";
import { renderList } from "../lists/render-cache.ts";
import { savedViewsBarProps, saveViewFormProps } from "../saved-views/saved-views-props.ts";
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
  const row = rowContext(c);
  const csrfToken = pageCsrfToken(c, deps);
  const filtered = isFiltered(params) || kind.filters.some((f) => Boolean(params[f]));
  const results = renderList(
    shard,
    deps.config.renderCache,
    kind.path,
    JSON.stringify([params, row.canWrite, columns.visible]),
    { nonce: c.var.nonce, csrfToken },
    (secrets) => {
      const page = kind.list(shard, params);
      const total = cachedCount(shard, kind.path, countKey(kind.filters, params), () =>
        kind.count(shard, params),
      );
      const props: RecordResultsProps<R> = {
        page,
        total,
        columns,
        saveView: saveViewFormProps(row.base, kind.path, values, secrets.csrfToken, row.canWrite),
        bulk: row.canWrite
          ? bulkBarProps(shard, kind, row.base, values, total, secrets.csrfToken)
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
