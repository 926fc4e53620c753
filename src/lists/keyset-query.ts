import type { Shard } from "../tenancy/shard.ts";
import { decodeCursor, type Order } from "./cursor.ts";
import { keysetPlan, type SortSpec } from "./keyset.ts";
import { type ListPage, toPage } from "./page.ts";
import { type Filter, whereClause } from "./record-filter.ts";

export interface KeysetQuery {
  /** `SELECT … FROM … JOIN …`, without WHERE: constant text from code. */
  select: string;
  filter: Filter;
  spec: SortSpec;
  sort: string;
  order: Order;
  cursor: string | undefined;
  limit: number;
}

/**
 * Runs one page of a keyset-paginated list. The SQL text depends only on which filters are
 * set and on the sort, so each shape is compiled once per open shard and then reused.
 */
export function keysetQuery<Row extends Record<string, unknown>>(
  shard: Shard,
  q: KeysetQuery,
): ListPage<Row> {
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  const plan = keysetPlan(q.spec, q.sort, q.order, cursor);
  const conditions = plan.condition ? [...q.filter.conditions, plan.condition] : q.filter.conditions;
  const rows = shard
    .statement(`${q.select} ${whereClause(conditions)} ORDER BY ${plan.orderBy} LIMIT ?`)
    .all(...q.filter.params, ...plan.params, q.limit + 1) as Row[];
  // Fewer rows than a page before the cursor: this is the start of the list (rows were
  // deleted, or the cursor sat near the top), so show the first page rather than a stub.
  if (plan.reversed && rows.length < q.limit) return keysetQuery(shard, { ...q, cursor: undefined });
  return toPage(rows, q.limit, plan, q.spec, q.sort, q.order, cursor);
}

/** How many rows of `from` (e.g. `contacts c`) match a filter. */
export function countRows(shard: Shard, from: string, filter: Filter): number {
  const row = shard
    .statement(`SELECT count(*) AS n FROM ${from} ${whereClause(filter.conditions)}`)
    .get(...filter.params) as {
    n: number;
  };
  return row.n;
}

/** The ids of up to `limit` rows of `from` (alias `alias`) matching a filter, for bulk changes. */
export function matchingIds(
  shard: Shard,
  from: string,
  alias: string,
  filter: Filter,
  limit: number,
): number[] {
  return shard
    .statement(
      `SELECT ${alias}.id FROM ${from} ${whereClause(filter.conditions)} ORDER BY ${alias}.id LIMIT ?`,
    )
    .values(...filter.params, limit)
    .map((row) => row[0] as number);
}
