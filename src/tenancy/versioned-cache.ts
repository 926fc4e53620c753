import type { Shard } from "./shard.ts";

interface Entry<T> {
  version: string;
  value: T;
}

/**
 * Lookups since the process started, by cache family (the name's part before its first `:`:
 * `render`, `session`…): what /metrics shows as hits and misses. Per process, like the caches.
 */
export const cacheLookups = new Map<string, { hits: number; misses: number }>();

function counted(name: string) {
  const family = name.split(":")[0] ?? name;
  let counts = cacheLookups.get(family);
  if (!counts) {
    counts = { hits: 0, misses: 0 };
    cacheLookups.set(family, counts);
  }
  return counts;
}

/**
 * A small LRU cache per open shard whose entries hold only for the shard version they were
 * computed at: any write, by this process or another, turns every entry into a miss
 * (ARCHITECTURE invariant 9: caches are never stale). Sessions, API keys, list counts and
 * rendered list pages all go through it.
 */
export function versionedCache<T>(
  shard: Shard,
  name: string,
  key: string,
  maxEntries: number,
  compute: () => T,
): T {
  // Inside a write transaction the version only moves at commit: what this transaction wrote
  // would not show. Read through, and cache nothing half-written.
  if (shard.sqlite.inTransaction) return compute();
  const cache = shard.cached(`cache:${name}`, () => new Map<string, Entry<T>>());
  const version = shard.version();
  const hit = cache.get(key);
  cache.delete(key);
  const counts = counted(name);
  if (hit && hit.version === version) {
    cache.set(key, hit);
    counts.hits++;
    return hit.value;
  }
  counts.misses++;
  const value = compute();
  if (cache.size >= maxEntries) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, { version, value });
  return value;
}
