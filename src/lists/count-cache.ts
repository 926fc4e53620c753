import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";

/**
 * How many matching rows a list page counts on the server's thread: past this it says "more
 * than 1,000" and the exact figure comes from the pool. Counting 1,001 rows costs well under a
 * millisecond at any size; counting a million took 17–44 ms, longer than one request may hold
 * the event loop (invariant 10).
 */
export const LIST_COUNT_CAP = 1_000;

/** A list's total as a page shows it: exact, or at least `n` (then `n` is the cap and more match). */
export interface ListTotal {
  n: number;
  exact: boolean;
}

interface CountEntry {
  /** Up to LIST_COUNT_CAP + 1, counted on the server's thread. */
  capped?: number;
  /** Counted in the pool. */
  exact?: number;
  /** The pool's count under way, shared by every request that asks meanwhile. */
  pending?: Promise<number>;
}

/**
 * The entry for a list's filters at the shard's current version (versionedCache: never stale).
 * It is taken before any count starts: if anything is written while the pool counts, the
 * version moves on and the next request misses, so a count is never shown for data it may not
 * have seen.
 */
function entryFor(shard: Shard, list: string, filterKey: string): CountEntry {
  return versionedCache(shard, `count:${list}`, filterKey, 64, () => ({}) as CountEntry);
}

/**
 * A list's total for its page: the exact count when the pool has made it for this version or
 * when at most LIST_COUNT_CAP rows match, otherwise "more than LIST_COUNT_CAP". `count(upTo)`
 * counts at most `upTo` matching rows.
 */
export function cappedCount(
  shard: Shard,
  list: string,
  filterKey: string,
  count: (upTo: number) => number,
): ListTotal {
  const entry = entryFor(shard, list, filterKey);
  if (entry.exact !== undefined) return { n: entry.exact, exact: true };
  entry.capped ??= count(LIST_COUNT_CAP + 1);
  return entry.capped > LIST_COUNT_CAP
    ? { n: LIST_COUNT_CAP, exact: false }
    : { n: entry.capped, exact: true };
}

/** The exact total the pool counted for these filters at the shard's current version, if it has. */
export function knownExactCount(shard: Shard, list: string, filterKey: string): number | undefined {
  return entryFor(shard, list, filterKey).exact;
}

/**
 * A list's exact total: cached for this version of the shard, else `count()` (a pool task),
 * started once however many requests ask while it runs. A refusal (pool busy, too slow) is not
 * kept: the next request tries again.
 */
export async function exactCount(
  shard: Shard,
  list: string,
  filterKey: string,
  count: () => Promise<number>,
): Promise<number> {
  const entry = entryFor(shard, list, filterKey);
  if (entry.exact !== undefined) return entry.exact;
  if (entry.capped !== undefined && entry.capped <= LIST_COUNT_CAP) return entry.capped;
  entry.pending ??= count().then(
    (n) => {
      entry.exact = n;
      entry.pending = undefined;
      return n;
    },
    (error: unknown) => {
      entry.pending = undefined;
      throw error;
    },
  );
  return await entry.pending;
}
