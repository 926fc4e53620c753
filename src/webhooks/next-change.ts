import type { Change } from "../changes/change.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ChangeSource } from "./change-source.ts";
import { matchesEvent } from "./event-patterns.ts";

/** Log rows read per query, and at most this many queries per subscription per step. */
const BATCH = 100;
const BATCHES_PER_PASS = 2;

/**
 * Synchronous time one call may take before it stops reading (the cursor is kept where it got
 * to, the next visit reads on): the event loop is held at most about this long per
 * subscription, whatever the size of the rows (ARCHITECTURE invariant 10).
 */
const STEP_BUDGET_MS = 8;

/**
 * The oldest change after the subscription's cursor that it listens to, or undefined. What
 * it does not listen to (and what the feed leaves out) is stepped over: the cursor moves past
 * it (a bookkeeping write, not a change to the workspace's records), at most
 * BATCH × BATCHES_PER_PASS log rows and about STEP_BUDGET_MS per call.
 */
export function nextChangeFor(
  shard: Shard,
  source: ChangeSource,
  sub: { id: number; cursor: number; events: string[] },
): Change | undefined {
  const started = performance.now();
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
      if (performance.now() - started > STEP_BUDGET_MS) return undefined;
    }
    return undefined;
  } finally {
    if (cursor !== sub.cursor)
      shard
        .statement("UPDATE webhook_subscriptions SET cursor = ? WHERE id = ? AND cursor = ?")
        .run(cursor, sub.id, sub.cursor);
  }
}

/**
 * The source with its pages remembered: the subscriptions of one workspace visit that stand at
 * the same cursor (those created together, catching up together) read each page once, not
 * once each. Only for one visit: a page remembered longer would hide what was written since.
 */
export function sharedPages(source: ChangeSource): ChangeSource {
  const pages = new Map<string, ReturnType<ChangeSource>>();
  return (shard, after, limit) => {
    const key = `${after}:${limit}`;
    let page = pages.get(key);
    if (!page) {
      page = source(shard, after, limit);
      pages.set(key, page);
    }
    return page;
  };
}
