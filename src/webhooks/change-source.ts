import type { Shard } from "../tenancy/shard.ts";

/** What a delivery needs of a change of the feed (src/changes): its cursor id, kind and time. */
export interface FeedChange {
  id: string;
  type: string;
  occurredAt: string;
}

/** Reads the changes after a cursor, oldest first: the changes feed's reader. */
export type ChangeSource = (shard: Shard, after: number, limit: number) => { data: FeedChange[] };

/** The newest change's cursor: where a new subscription starts (it gets what happens from now on). */
export function latestChangeId(shard: Shard): number {
  const row = shard.statement("SELECT ifnull(max(id), 0) AS id FROM interactions").get() as { id: number };
  return row.id;
}

/**
 * Interim reader over the interaction log, until the changes feed (src/changes/read-changes.ts)
 * is merged: one change per log entry, its kind as the type.
 */
export const interimChanges: ChangeSource = (shard, after, limit) => {
  const rows = shard
    .statement(
      `SELECT id, occurred_at AS occurredAt, kind, subject_type AS subjectType, subject_id AS subjectId
       FROM interactions WHERE id > ? ORDER BY id LIMIT ?`,
    )
    .all(after, limit) as {
    id: number;
    occurredAt: number;
    kind: string;
    subjectType: string;
    subjectId: number;
  }[];
  return {
    data: rows.map((r) => ({
      id: String(r.id),
      type: r.kind.includes(".") ? r.kind : `${r.subjectType}.${r.kind}`,
      occurredAt: new Date(r.occurredAt).toISOString(),
      object: { type: r.subjectType, id: r.subjectId },
    })),
  };
};
