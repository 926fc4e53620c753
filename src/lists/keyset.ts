import { BadRequestError } from "../core/errors.ts";
import type { Cursor, KeyValue, Order } from "./cursor.ts";

/** A sort a list allows: SQL expressions from code (never from a request), ending with the id as tie-breaker. */
export interface SortSpec {
  /** Columns compared, most significant first; the last one must be the primary key. */
  columns: string[];
  /** Reads the same values back from a result row, for the next cursor. */
  keyOf(row: Record<string, unknown>): KeyValue[];
}

export interface KeysetPlan {
  /** `(a, b, id) < (?, ?, ?)`-style condition, or "" on the first page. */
  condition: string;
  params: KeyValue[];
  orderBy: string;
  /** The rows come back in reverse and must be flipped (a "previous page" query). */
  reversed: boolean;
}

/**
 * Keyset pagination: the page after a cursor is an index range scan from the cursor's key,
 * so page 2,000 costs what page 1 does (OFFSET would read and skip 100,000 rows).
 */
export function keysetPlan(
  spec: SortSpec,
  sortName: string,
  order: Order,
  cursor: Cursor | undefined,
): KeysetPlan {
  if (
    cursor &&
    (cursor.sort !== sortName || cursor.order !== order || cursor.key.length !== spec.columns.length)
  ) {
    throw new BadRequestError(
      "cursor was made for another sort order; start again from the first page",
      "cursor",
    );
  }
  const reversed = cursor?.direction === "before";
  const ascending = (order === "asc") !== reversed;
  const orderBy = spec.columns.map((column) => `${column} ${ascending ? "ASC" : "DESC"}`).join(", ");
  if (!cursor) return { condition: "", params: [], orderBy, reversed };
  const placeholders = spec.columns.map(() => "?").join(", ");
  const condition = `(${spec.columns.join(", ")}) ${ascending ? ">" : "<"} (${placeholders})`;
  return { condition, params: cursor.key, orderBy, reversed };
}

/** Newest first by default; names read A to Z. */
export function defaultOrder(sort: string): Order {
  return sort === "name" ? "asc" : "desc";
}
