import { encodeCursor } from "./cursor.ts";

/**
 * The API's `sort=updatedAt&order=asc` is how a client catches up by time: records changed
 * since it last looked come after the last one it saw. So its last page still answers a
 * cursor to poll with (after the page's last record), where other sorts end with null. A page
 * with no rows answers null, so a client paging "while there is a nextCursor" stops there (one
 * request after the last rows) and polls later with the cursor it sent. A record changed since moves past the cursor and shows
 * again; one changed in the same millisecond with a lower id than the cursor's is the one case
 * this misses, which is why the README points to the changes feed or to `updatedSince` with
 * the last `updatedAt` seen (inclusive) for exact catching up.
 */
export function resumeCursor(
  params: { sort?: string; order?: string; cursor?: string },
  last: { id: number; updatedAt?: unknown } | undefined,
): string | null {
  if (params.sort !== "updatedAt" || params.order !== "asc") return null;
  if (!last || typeof last.updatedAt !== "number") return null;
  return encodeCursor({
    sort: "updatedAt",
    order: "asc",
    direction: "after",
    key: [last.updatedAt, last.id],
  });
}
