import type { Change } from "../changes/change.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ChangeSource } from "./change-source.ts";
import { matchesEvent } from "./event-patterns.ts";

/** Log rows read per query, and queries per subscription per pass: the synchronous work stays small. */
const BATCH = 100;
const BATCHES_PER_PASS = 2;

/**
 * The oldest change after the subscription's cursor that it listens to, or undefined. What
 * it does not listen to (and what the feed leaves out) is stepped over: the cursor moves past
 * it (a bookkeeping write, not a change to the workspace's records), at most
 * BATCH × BATCHES_PER_PASS log rows per call.
 */
export function nextChangeFor(
  shard: Shard,
  source: ChangeSource,
  sub: { id: number; cursor: number; events: string[] },
): Change | undefined {
  let cursor = sub.cursor;
  try {
    for (let i = 0; i < BATCHES_PER_PASS; i++) {
      const { data, nextCursor } = source(shard, cursor, BATCH);
      for (const change of data) {
        if (matchesEvent(sub.events, change.type)) return change;
        cursor = Number(change.id);
      }
      const next = Number(nextCursor);
      if (!(next > cursor)) return undefined;
      cursor = next;
    }
    return undefined;
  } finally {
    if (cursor !== sub.cursor)
      shard
        .statement("UPDATE webhook_subscriptions SET cursor = ? WHERE id = ? AND cursor = ?")
        .run(cursor, sub.id, sub.cursor);
  }
}
