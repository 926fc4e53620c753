import type { Shard } from "../tenancy/shard.ts";

const MAX_ENTRIES = 64;

interface Entry {
  version: number;
  value: number;
}

/**
 * Counts are the one part of a list page that may read every row, so they are cached per
 * open shard and filter, keyed by the shard's change counter: any write, from any process,
 * makes the next read recount (ARCHITECTURE invariant 9).
 */
export function cachedCount(shard: Shard, list: string, filterKey: string, count: () => number): number {
  const cache = shard.cached(`count:${list}`, () => new Map<string, Entry>());
  const version = shard.changeCounter();
  const hit = cache.get(filterKey);
  if (hit && hit.version === version) return hit.value;
  const value = count();
  cache.delete(filterKey);
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(filterKey, { version, value });
  return value;
}
