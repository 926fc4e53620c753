import { type Cursor, encodeCursor, type Order } from "./cursor.ts";
import type { KeysetPlan, SortSpec } from "./keyset.ts";

export interface ListPage<Row> {
  rows: Row[];
  /** Cursor of the page after this one, if there is one. */
  nextCursor: string | null;
  /** Cursor of the page before this one, if there is one. */
  prevCursor: string | null;
}

/**
 * Turns the `limit + 1` rows a keyset query fetched into a page: the extra row only says
 * whether more exist in the direction of travel. A "previous page" query reads backwards, so
 * its rows are flipped into display order here.
 */
export function toPage<Row extends Record<string, unknown>>(
  fetched: Row[],
  limit: number,
  plan: KeysetPlan,
  spec: SortSpec,
  sort: string,
  order: Order,
  cursor: Cursor | undefined,
): ListPage<Row> {
  const more = fetched.length > limit;
  const rows = more ? fetched.slice(0, limit) : fetched;
  if (plan.reversed) rows.reverse();
  const first = rows[0];
  const last = rows.at(-1);
  const make = (row: Row | undefined, direction: Cursor["direction"]) =>
    row ? encodeCursor({ sort, order, direction, key: spec.keyOf(row) }) : null;
  const hasNext = plan.reversed ? true : more;
  const hasPrev = plan.reversed ? more : cursor !== undefined;
  return {
    rows,
    nextCursor: hasNext ? make(last, "after") : null,
    prevCursor: hasPrev ? make(first, "before") : null,
  };
}
