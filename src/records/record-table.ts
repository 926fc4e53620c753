import { NotFoundError } from "../core/errors.ts";
import type { RecordType } from "../core/record-types.ts";
import { listSort, withCustomFilter } from "../custom-fields/custom-list.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import { defaultOrder, type SortSpec } from "../lists/keyset.ts";
import { countRows, keysetQuery } from "../lists/keyset-query.ts";
import type { ListPage } from "../lists/page.ts";
import {
  type Filter,
  type RecordFilterParams,
  type RecordTables,
  recordFilter,
  tagWalk,
} from "../lists/record-filter.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * How one kind of record is stored and read: its table and alias, the columns every query
 * selects (aliased to its record's names) with their joins, and how a row becomes a record.
 * All of it is constant text from code. Its read, list, count and delete services are the
 * generic ones below; what differs between kinds (their joins, their search) lives here.
 */
export interface RecordTable<R, Row> extends RecordTables {
  type: RecordType;
  /** The table's name: `contacts`. */
  name: string;
  /** The table with its alias, as queries name it: `contacts c`. */
  from: string;
  /** `c.id, c.first_name AS firstName, …` */
  columns: string;
  joins: string;
  toRecord(row: Row): R;
}

/** The record with `id` in this workspace, or a 404. Ids from other workspaces simply do not exist here. */
export function getRecord<R, Row>(shard: Shard, table: RecordTable<R, Row>, id: number): R {
  const row = shard
    .statement(`SELECT ${table.columns} FROM ${table.from} ${table.joins} WHERE ${table.alias}.id = ?`)
    .get(id) as Row | null;
  if (!row) throw new NotFoundError(table.type);
  return table.toRecord(row);
}

/** The records with these ids, in the order given (one query for them all); an id not in this workspace is a 404. */
export function getRecords<R, Row>(shard: Shard, table: RecordTable<R, Row>, ids: number[]): R[] {
  const rows = shard
    .statement(
      `SELECT ${table.columns} FROM ${table.from} ${table.joins} WHERE ${table.alias}.id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(ids)) as (Row & { id: number })[];
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (!row) throw new NotFoundError(table.type);
    return table.toRecord(row);
  });
}

/** A list's parameters as every kind has them (see recordListParams). */
export interface RecordListParams extends RecordFilterParams {
  sort?: string;
  order?: "asc" | "desc";
  cursor?: string;
  limit: number;
}

/**
 * A kind's filter: the shared filters (`search` widens what its full-text query matches, as a
 * contact's company name does), then `more` conditions of its own, then a custom field's.
 */
export function tableFilter(
  shard: Shard,
  table: RecordTable<unknown, unknown>,
  params: RecordFilterParams,
  more: Filter = { conditions: [], params: [] },
  search?: (fts: string) => Filter,
): Filter {
  const filter = recordFilter(table, params, search);
  filter.conditions.push(...more.conditions);
  filter.params.push(...more.params);
  const all = withCustomFilter(shard, table.type, table.alias, filter, params.cf);
  // A tag alone may read a page along the sort's index instead (lists/record-filter.ts tagWalk).
  if (params.tag && all.conditions.length === 1) all.walk = tagWalk(table, params.tag);
  return all;
}

/** One page of a kind's records, keyset-paginated, for its filter; `sorts` are those its list allows. */
export function listRecords<R, Row extends Record<string, unknown>>(
  shard: Shard,
  table: RecordTable<R, Row>,
  sorts: Record<string, SortSpec>,
  filter: Filter,
  params: RecordListParams,
): ListPage<R> {
  const sort = params.sort ?? "createdAt";
  const { spec, select } = listSort(shard, table.type, table.alias, sorts, sort);
  const page = keysetQuery<Row>(shard, {
    select: `SELECT ${table.columns}${select} FROM ${table.from} ${table.joins}`,
    filter,
    spec,
    sort,
    order: params.order ?? defaultOrder(sort),
    cursor: params.cursor,
    limit: params.limit,
  });
  return { ...page, rows: page.rows.map((row) => table.toRecord(row)) };
}

/**
 * How many of a kind's records match a filter, counting at most `upTo`. Without a bound it can
 * read every row: only the pool counts that way (lists/count-cache.ts).
 */
export function countRecords(
  shard: Shard,
  table: RecordTable<unknown, unknown>,
  filter: Filter,
  upTo?: number,
): number {
  return countRows(shard, table.from, filter, upTo);
}

/**
 * Deletes a record (what cascades from it goes too) and logs `<type>.deleted` with `payload`,
 * in one transaction; a 404 if it is not in this workspace.
 */
export function deleteRecord<R, Row>(
  shard: Shard,
  actor: Actor,
  table: RecordTable<R, Row>,
  id: number,
  payload: (record: R) => Record<string, unknown>,
  now = Date.now(),
): void {
  shard.transaction(() => {
    const record = getRecord(shard, table, id);
    // Its delete trigger leaves its tasks about nothing: touched, a client syncing tasks by
    // updatedSince sees that (its notes go with it; the feed's tombstone says so).
    shard
      .statement("UPDATE tasks SET updated_at = max(updated_at, ?) WHERE subject_type = ? AND subject_id = ?")
      .run(now, table.type, id);
    shard.statement(`DELETE FROM ${table.name} WHERE id = ?`).run(id);
    recordInteraction(shard, {
      actor,
      kind: `${table.type}.deleted`,
      subjectType: table.type,
      subjectId: id,
      occurredAt: now,
      payload: payload(record),
    });
  });
}
