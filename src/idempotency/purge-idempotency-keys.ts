import type { Shard } from "../tenancy/shard.ts";
import { IDEMPOTENCY_RETENTION_MS } from "./idempotency-key.ts";

/** Keys per transaction at most: each row also holds an index entry on created_at. */
export const PURGE_CHUNK_ROWS = 64;
/**
 * Stored answers per transaction at most, in bytes (one row more only when the first alone is
 * larger): freeing a 200 KB batch answer's overflow pages is ~0.4 ms, so a transaction holds the
 * workspace's write lock for a few ms, whatever the answers' sizes. (500 keyed batches' answers
 * in one transaction, ~100 MB, held it ~200 ms.)
 */
export const PURGE_CHUNK_BYTES = 1024 * 1024;

export interface PurgeOptions {
  /** Keys deleted per transaction at most (PURGE_CHUNK_ROWS by default). */
  chunk?: number;
  /** Answer bytes deleted per transaction at most (PURGE_CHUNK_BYTES by default). */
  chunkBytes?: number;
  /** Transactions at most in this call: the rest waits for the next one. */
  maxChunks?: number;
  /** Stop starting transactions once this many ms have passed since the call began. */
  budgetMs?: number;
  /** Between two transactions (a worker pauses so the workspace's other writers get the lock). */
  between?: () => void;
}

/** The oldest created_at a key may have and still be replayed. */
const cutoff = (now: number) => now - IDEMPOTENCY_RETENTION_MS;

/** Whether a key is past the retention window: one seek on the created_at index. */
export function hasExpiredIdempotencyKeys(shard: Shard, now: number): boolean {
  return (
    shard.statement("SELECT 1 AS one FROM idempotency_keys WHERE created_at < ? LIMIT 1").get(cutoff(now)) !==
    null
  );
}

/**
 * One transaction: the oldest expired keys, up to `rows` of them and `bytes` of stored answers
 * (their sizes read from the record headers by octet_length, without reading the answers),
 * deleted by rowid. Chosen inside the transaction, so a row another process deleted (and a
 * rowid reused since) is never touched. Returns how many it deleted.
 */
function purgeChunk(shard: Shard, before: number, rows: number, bytes: number): number {
  return shard.transaction(() => {
    const oldest = shard
      .statement(
        `SELECT rowid AS id, octet_length(response) AS size FROM idempotency_keys
         WHERE created_at < ? ORDER BY created_at LIMIT ?`,
      )
      .all(before, rows) as { id: number; size: number }[];
    const remove = shard.statement("DELETE FROM idempotency_keys WHERE rowid = ?");
    let total = 0;
    let deleted = 0;
    for (const { id, size } of oldest) {
      if (deleted > 0 && total + size > bytes) break;
      total += size;
      deleted += remove.run(id).changes;
    }
    return deleted;
  });
}

/**
 * Deletes keys older than the retention window, oldest first, in short transactions bounded by
 * rows and answer bytes (so a burst of huge keyed answers coming due at once never holds the
 * workspace's write lock long), at most `maxChunks` of them (1 by default) or `budgetMs`.
 * Returns how many it deleted. The server runs it in the worker pool (purge.worker.ts, asked by
 * ExpiredKeyPurges after keyed writes), never on its own thread.
 */
export function purgeExpiredIdempotencyKeys(shard: Shard, now: number, options: PurgeOptions = {}): number {
  const rows = options.chunk ?? PURGE_CHUNK_ROWS;
  const bytes = options.chunkBytes ?? PURGE_CHUNK_BYTES;
  const maxChunks = options.maxChunks ?? 1;
  const started = performance.now();
  let deleted = 0;
  for (let i = 0; i < maxChunks; i++) {
    if (i > 0) {
      if (options.budgetMs !== undefined && performance.now() - started >= options.budgetMs) break;
      options.between?.();
    }
    if (!hasExpiredIdempotencyKeys(shard, now)) break;
    const changes = purgeChunk(shard, cutoff(now), rows, bytes);
    deleted += changes;
    if (changes === 0) break;
  }
  return deleted;
}
