import type { Context } from "hono";
import type { BulkBarProps } from "../../views/components/bulk-bar.ts";
import {
  type ColumnChoice,
  columnsParam,
  type ListColumns,
  listColumns,
} from "../../views/components/list-columns.ts";
import { listHref } from "../../views/components/list-filters.ts";
import type { RecordListPageProps } from "../../views/components/record-list-page-props.ts";
import type { RowContext } from "../../views/components/row-context.ts";
import type { SaveViewFormProps } from "../../views/components/saved-views-bar.ts";
import type { Html } from "../../views/html.ts";
import { listUsers } from "../auth/users.ts";
import { bulkBarProps } from "../bulk/bulk-bar-props.ts";
import { customColumns } from "../custom-fields/custom-columns.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { CustomFieldEntity } from "../custom-fields/schema.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { changedCount, pageCsrfToken, rowContext } from "../http/page-context.ts";
import { cachedCount } from "../lists/count-cache.ts";
import type { ListPage } from "../lists/page.ts";
import { filterValues } from "../lists/record-filter.ts";
import { renderList } from "../lists/render-cache.ts";
import { savedViewsBarProps, saveViewFormProps } from "../saved-views/saved-views-props.ts";
import type { ViewList } from "../saved-views/view-input.ts";
import { allTags } from "../tags/set-tags.ts";

/** What a list's results section (contactsResults, companiesResults, dealsResults) is given. */
export interface RecordResultsProps<R> {
  page: ListPage<R>;
  total: number;
  columns: ListColumns;
  saveView: SaveViewFormProps;
  bulk?: BulkBarProps;
  filtered: boolean;
  href: string;
  row: RowContext;
}

/** One kind of record's list, as its page handler describes it. */
export interface RecordListSpec<R extends { id: number }> {
  list: ViewList;
  entity: CustomFieldEntity;
  builtInColumns: ColumnChoice[];
  /** The parsed, allow-listed query parameters. */
  params: Record<string, unknown>;
  /** The filters alone, for the count cache. */
  countKey: string;
  filtered: boolean;
  page(): ListPage<R>;
  count(): number;
  results(props: RecordResultsProps<R>): Html;
}

/** The parts of a list page every kind of record shares; the results as a string, for a fragment. */
export type RecordListPage = Omit<RecordListPageProps, "ctx" | "results"> & { results: string };

/**
 * Renders a record list's results (rows, pager, custom columns, the save-view and bulk forms)
 * through the render cache, keyed by its parameters, the viewer's rights and the chosen
 * columns, and gathers what the full page around it needs. `results` is all an htmx
 * request for new results gets: owners, saved views and tags are getters, queried only when
 * the full page reads them.
 */
export function recordListPage<R extends { id: number }>(
  c: Context<ViewerEnv>,
  deps: AppDeps,
  spec: RecordListSpec<R>,
): RecordListPage {
  const shard = c.var.shard;
  const values = filterValues(spec.params);
  const fields = listFields(shard, spec.entity);
  const columns = listColumns(spec.builtInColumns, fields, c.req.queries("cols") ?? []);
  values.cols = columnsParam(columns.visible);
  const row = rowContext(c);
  const csrfToken = pageCsrfToken(c, deps);
  const results = renderList(
    shard,
    deps.config.renderCache,
    spec.list,
    JSON.stringify([spec.params, row.canWrite, columns.visible]),
    { nonce: c.var.nonce, csrfToken },
    (secrets) => {
      const page = spec.page();
      const total = cachedCount(shard, spec.list, spec.countKey, spec.count);
      return spec.results({
        page,
        total,
        columns,
        saveView: saveViewFormProps(row.base, spec.list, values, secrets.csrfToken, row.canWrite),
        bulk: row.canWrite
          ? bulkBarProps(shard, spec.list, row.base, values, total, secrets.csrfToken)
          : undefined,
        filtered: spec.filtered,
        href: listHref(`${row.base}/${spec.list}`, values),
        row: {
          ...row,
          nonce: secrets.nonce,
          custom: customColumns(
            shard,
            spec.entity,
            page.rows.map((r) => r.id),
          ),
        },
      }).value;
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
      return savedViewsBarProps(c, spec.list, values, csrfToken);
    },
    changed: changedCount(c.req.query("changed")),
    get tags() {
      return allTags(shard);
    },
  };
}
