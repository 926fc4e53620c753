import type { Shard } from "../tenancy/shard.ts";
import { IDEMPOTENCY_RETENTION_MS } from "./idempotency-key.ts";

export interface PurgeOptions {
  /** Keys deleted per transaction (each a short write, so pages of the workspace keep answering). */
  chunk?: number;
  /** Transactions at most in this call: the rest waits for the next one. */
  maxChunks?: number;
}

/**
 * Deletes keys older than the retention window, oldest first, `chunk` at a time (an index range
 * on created_at), at most `maxChunks` transactions. Called after each write that stores a key,
 * one chunk at a time, it deletes faster than keys are added. Returns how many it deleted.
 */
export function purgeExpiredIdempotencyKeys(shard: Shard, now: number, options: PurgeOptions = {}): number {
  const chunk = options.chunk ?? 500;
  const maxChunks = options.maxChunks ?? 1;
  const before = now - IDEMPOTENCY_RETENTION_MS;
  let deleted = 0;
  for (let i = 0; i < maxChunks; i++) {
    const expired = shard
      .statement("SELECT 1 FROM idempotency_keys WHERE created_at < ? LIMIT 1")
      .get(before) as unknown;
    if (!expired) break;
    const changes = shard.transaction(
      () =>
        shard
          .statement(
            `DELETE FROM idempotency_keys WHERE (scope, key) IN
               (SELECT scope, key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
          )
          .run(before, chunk).changes,
    );
    deleted += changes;
    if (changes < chunk) break;
  }
  return deleted;
}
