import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";

/**
 * Counts are the one part of a list that may read every row, so they are cached per open
 * shard and filter (versionedCache: never stale), and survive paging through the results.
 */
export function cachedCount(shard: Shard, list: string, filterKey: string, count: () => number): number {
  return versionedCache(shard, `count:${list}`, filterKey, 64, count);
}
