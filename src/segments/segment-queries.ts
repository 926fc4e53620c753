import type { Statement } from "bun:sqlite";
import {
  CONTACT_COLUMNS,
  CONTACT_JOINS,
  type ContactRecord,
  type ContactRow,
  toContactRecord,
} from "../contacts/contact-record.ts";
import { CONTACT_SORTS } from "../contacts/list-contacts.ts";
import { decodeCursor, type Order } from "../lists/cursor.ts";
import { keysetPlan } from "../lists/keyset.ts";
import { type ListPage, toPage } from "../lists/page.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { SegmentSql } from "./compile-rules.ts";

// What the pool's tasks ask of a tenant's file for a segment. Each rule set is its own SQL
// text, so statements are prepared for the run and finalized after it, not kept in the
// connection's statement cache (which would grow with every rule set ever previewed).

/** Runs `use` with a statement prepared for this run only. */
function once<T>(shard: Shard, sql: string, use: (statement: Statement) => T): T {
  const statement = shard.sqlite.prepare(sql);
  try {
    return use(statement);
  } finally {
    statement.finalize();
  }
}

/** How many contacts a segment holds, and the newest few of them. */
export interface SegmentCount {
  count: number;
  /** Every contact of the workspace, matching or not (read in the same pass). */
  total: number;
  preview: ContactRecord[];
}

export const PREVIEW_SIZE = 20;

/**
 * Below this share of the contacts, the preview finds its rows by one pass over the table
 * (keeping the newest few) instead of walking the creation-time index newest first, which
 * reads one row at random per contact it passes: for 20 rows among 1 in 200 contacts, ~4,000
 * random reads, about what one pass costs.
 */
const WALK_SHARE = 1 / 200;

/** Whether so few contacts match that reading them in order is one pass over the table, not a walk of the sort's index. */
export function fewMatch(counted: Pick<SegmentCount, "count" | "total">): boolean {
  return counted.count < counted.total * WALK_SHARE;
}

/**
 * The count and the newest `previewSize` members, read in one snapshot so the two agree. The
 * count is one pass over the contacts (activity rules as sets); the preview walks the newest
 * first (activity rules as probes), unless few contacts match, then it is one more pass.
 */
export function countSegment(shard: Shard, sql: SegmentSql, previewSize = PREVIEW_SIZE): SegmentCount {
  const read = (): SegmentCount => {
    // The total comes with the count from the same pass, to choose how the preview is read.
    const { n: count, total } = once(
      shard,
      `SELECT count(*) FILTER (WHERE ${sql.set.where}) AS n, count(*) AS total FROM contacts c`,
      (s) => s.get(...sql.set.params) as { n: number; total: number },
    );
    if (count === 0 || previewSize === 0) return { count, total, preview: [] };
    const walk = !fewMatch({ count, total });
    const rules = walk ? sql.probe : sql.set;
    const order = walk ? "c.created_at DESC, c.id DESC" : "+c.created_at DESC, +c.id DESC";
    const preview = once(
      shard,
      `SELECT ${CONTACT_COLUMNS} FROM contacts c ${CONTACT_JOINS} WHERE ${rules.where} ORDER BY ${order} LIMIT ?`,
      (s) => (s.all(...rules.params, previewSize) as ContactRow[]).map(toContactRecord),
    );
    return { count, total, preview };
  };
  return shard.sqlite.inTransaction ? read() : shard.sqlite.transaction(read)();
}

export type SegmentSort = keyof typeof CONTACT_SORTS;

/** One page of a segment's members, keyset-paginated like the contacts list (same sorts, same cursors). */
export interface MembersPage {
  sort: SegmentSort;
  order: Order;
  cursor?: string;
  limit: number;
}

/**
 * One page of members. Usually it walks the sort's index and looks each contact up (the rules
 * as probes); when few contacts match (`scan`, see fewMatch) such a walk would read most of
 * the table at random, so the page is one pass keeping the first rows instead (the rules as
 * sets, the sort's columns written `+c.…` so no index is walked).
 */
export function segmentMembers(
  shard: Shard,
  sql: SegmentSql,
  page: MembersPage,
  scan = false,
): ListPage<ContactRecord> {
  const rules = scan ? sql.set : sql.probe;
  const sorted = CONTACT_SORTS[page.sort];
  const spec = scan ? { ...sorted, columns: sorted.columns.map((c) => `+${c}`) } : sorted;
  const cursor = page.cursor ? decodeCursor(page.cursor) : undefined;
  const plan = keysetPlan(spec, page.sort, page.order, cursor);
  const where = plan.condition ? `(${rules.where}) AND ${plan.condition}` : rules.where;
  const rows = once(
    shard,
    `SELECT ${CONTACT_COLUMNS} FROM contacts c ${CONTACT_JOINS} WHERE ${where} ORDER BY ${plan.orderBy} LIMIT ?`,
    (s) => s.all(...rules.params, ...plan.params, page.limit + 1) as (ContactRow & Record<string, unknown>)[],
  );
  // Fewer rows than a page before the cursor: the start of the list (as lists/keyset-query.ts does).
  if (plan.reversed && rows.length < page.limit)
    return segmentMembers(shard, sql, { ...page, cursor: undefined }, scan);
  const result = toPage(rows, page.limit, plan, spec, page.sort, page.order, cursor);
  return { ...result, rows: result.rows.map(toContactRecord) };
}
