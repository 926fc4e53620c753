import type { Shard } from "../tenancy/shard.ts";

/**
 * Runs a long series of short transactions without an fsync at each commit (WAL with
 * `synchronous = NORMAL`), then goes back to `FULL`, whose next commit (the task's outcome)
 * makes all of them durable at once. An fsync here takes ~4 ms and up to ~14 ms, all of it
 * inside the write lock the server's thread waits at most 20 ms for; without it, a chunk holds
 * the lock only while it works. Nothing is acknowledged before that last commit, and a power
 * cut keeps a prefix of the commits, each with its journal rows: what it left can be undone.
 */
export async function withRelaxedSync<T>(shard: Shard, work: () => Promise<T>): Promise<T> {
  shard.sqlite.run("PRAGMA synchronous = NORMAL");
  try {
    return await work();
  } finally {
    shard.sqlite.run("PRAGMA synchronous = FULL");
  }
}
