import type { Shard } from "../tenancy/shard.ts";
import type { ChangeSource, FeedChange } from "./change-source.ts";
import { matchesEvent } from "./event-patterns.ts";

/** Changes read per query, and queries per subscription per pass: the synchronous work stays small. */
const BATCH = 100;
const BATCHES_PER_PASS = 5;

/**
 * The oldest change after the subscription's cursor that it listens to, or undefined. Changes
 * it does not listen to are stepped over: the cursor moves past them (a bookkeeping write,
 * not a change to the workspace's records), at most BATCH × BATCHES_PER_PASS of them per call.
 */
export function nextChangeFor(
  shard: Shard,
  source: ChangeSource,
  sub: { id: number; cursor: number; events: string[] },
): FeedChange | undefined {
  let cursor = sub.cursor;
  try {
    for (let i = 0; i < BATCHES_PER_PASS; i++) {
      const { data } = source(shard, cursor, BATCH);
      for (const change of data) {
        if (matchesEvent(sub.events, change.type)) return change;
        cursor = Number(change.id);
      }
      if (data.length < BATCH) return undefined;
    }
    return undefined;
  } finally {
    if (cursor !== sub.cursor)
      shard
        .statement("UPDATE webhook_subscriptions SET cursor = ? WHERE id = ? AND cursor = ?")
        .run(cursor, sub.id, sub.cursor);
  }
}
