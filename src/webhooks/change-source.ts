import type { Change } from "../changes/change.ts";
import { readChanges } from "../changes/read-changes.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * Reads the changes feed after a cursor, oldest first: `nextCursor` is where to read on from
 * (past entries the feed leaves out, so it can move on when `data` is empty).
 */
export type ChangeSource = (
  shard: Shard,
  after: number,
  limit: number,
) => { data: Change[]; nextCursor: string };

/** What deliveries read: the changes feed itself (src/changes), the same entries GET /changes answers. */
export const feedChanges: ChangeSource = readChanges;

/** The newest log id: where a new subscription starts (it gets what happens from now on). */
export function latestChangeId(shard: Shard): number {
  const row = shard.statement("SELECT ifnull(max(id), 0) AS id FROM interactions").get() as { id: number };
  return row.id;
}
