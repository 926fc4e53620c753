import type { SQLQueryBindings } from "bun:sqlite";
import { RECORD_PLURALS, type RecordType } from "../core/record-types.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";

/** Records a change made outside their own services reaches, and what it does to each. */
export interface RecordUpdates {
  /** Their kind: each gets a `<type>.updated` entry, and its table's updated_at moves. */
  type: RecordType;
  /**
   * A SELECT of `id` (the record's) and `payload` (the entry's JSON: `{changes: {field: [old,
   * new]}}`, or `{fields: [...]}` when the values must not be logged), from the records as they
   * are BEFORE the change. Plain `?` parameters only (they follow the entry's own three).
   */
  rows: string;
  params?: SQLQueryBindings[];
}

/**
 * Logs a `<type>.updated` entry for each record `rows` selects and moves their updated_at to
 * `now`: one INSERT … SELECT into the log and one UPDATE by the range of ids it took, whatever
 * the number of records (a stage turned won with 30,000 deals in it stays one statement each,
 * not a loop in JavaScript on the server's thread). For writes that reach records outside their
 * own services (a stage's kind, a custom field's options, a removed user, an erasure's scrub),
 * so a copy following the changes feed or `updatedSince` learns of them. Call inside the
 * change's transaction (the write lock keeps other writers' ids out of the range), before the
 * change when `rows` selects by what the change removes. Returns how many records.
 */
export function logRecordUpdates(shard: Shard, actor: Actor, updates: RecordUpdates, now: number): number {
  const { type } = updates;
  const last = (
    shard.statement("SELECT coalesce(max(id), 0) AS id FROM interactions").get() as { id: number }
  ).id;
  const logged = shard
    .statement(
      `INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload)
       SELECT ?, ?, ?, '${type}.updated', '${type}', r.id, r.payload FROM (${updates.rows}) r ORDER BY r.id`,
    )
    .run(now, actor.type, actor.id, ...(updates.params ?? []));
  if (logged.changes === 0) return 0;
  // The table name comes from the constant list of kinds, never from a request.
  shard
    .statement(
      `UPDATE ${RECORD_PLURALS[type]} SET updated_at = max(updated_at, ?) WHERE id IN
         (SELECT subject_id FROM interactions WHERE id > ? AND kind = '${type}.updated')`,
    )
    .run(now, last);
  return logged.changes;
}
