import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";

import type { SubjectType } from "./kinds.ts";

export interface InteractionEntry {
  actor: Actor;
  /** What happened, `subject.verb`: contact.created, contact.updated, company.deleted… */
  kind: string;
  subjectType: SubjectType;
  subjectId: number;
  payload?: Record<string, unknown>;
  occurredAt?: number;
}

/**
 * Appends to the interaction log. Call it inside the transaction that makes the change, so
 * the log and the data can never disagree (ARCHITECTURE invariant 7). Returns the new id.
 */
export function recordInteraction(shard: Shard, entry: InteractionEntry): number {
  const result = shard
    .statement(
      `INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      entry.occurredAt ?? Date.now(),
      entry.actor.type,
      entry.actor.id,
      entry.kind,
      entry.subjectType,
      entry.subjectId,
      JSON.stringify(entry.payload ?? {}),
    );
  return Number(result.lastInsertRowid);
}

/** The fields whose value changed between `before` and `after`, as `{field: [old, new]}`. */
export function changedFields<T extends Record<string, unknown>>(
  before: T,
  after: Partial<T>,
): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [field, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const old = before[field];
    const same = Array.isArray(value) ? JSON.stringify(value) === JSON.stringify(old) : value === old;
    if (!same) changes[field] = [old ?? null, value];
  }
  return changes;
}
