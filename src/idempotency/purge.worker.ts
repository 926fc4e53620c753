import type { TaskHandler } from "../workers/task-types.ts";
import { hasExpiredIdempotencyKeys, purgeExpiredIdempotencyKeys } from "./purge-idempotency-keys.ts";

export interface PurgeParams {
  /** The clock of the write that asked (epoch ms): keys older than its retention window go. */
  now: number;
}

export interface PurgeResult {
  deleted: number;
  /** Expired keys are left (the budget ran out): ExpiredKeyPurges asks again at once. */
  more: boolean;
}

/** One run's share of a pool thread: the rest is asked for again, behind other workspaces' tasks. */
export const PURGE_RUN_BUDGET_MS = 250;
/** A pause between two transactions, so the workspace's writers on the server's thread get the lock between them. */
export const PURGE_PAUSE_MS = 2;

/**
 * idempotency.purge: deletes a workspace's expired Idempotency-Keys in short, byte-bounded
 * transactions (purgeExpiredIdempotencyKeys), off the server's thread, for at most
 * PURGE_RUN_BUDGET_MS. Keyed batch answers are 100–250 KB each: a night's sync coming due at
 * once is ~100 MB to free, which in one transaction on the server's thread held every
 * workspace ~200 ms.
 */
const purge: TaskHandler<PurgeParams, PurgeResult> = ({ params }, context) => {
  const shard = context.shard("write");
  const deleted = purgeExpiredIdempotencyKeys(shard, params.now, {
    maxChunks: Number.POSITIVE_INFINITY,
    budgetMs: PURGE_RUN_BUDGET_MS,
    between: () => Bun.sleepSync(PURGE_PAUSE_MS),
  });
  return { deleted, more: hasExpiredIdempotencyKeys(shard, params.now) };
};

export default purge;
