import { RECORD_PLURALS, RECORD_TYPES } from "../core/record-types.ts";
import type { Actor } from "../identity/viewer.ts";
import { logRecordUpdates } from "../record-updates/log-record-updates.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * What an erasure's scrub of other records' text (scrub-mentions.ts) changed in what those
 * records answer in the API, told to a copy kept in step: each record gets a new updatedAt and a
 * feed entry naming the fields that changed, `{fields: [...]}` with no values (the old ones
 * quoted the erased person). A deal's title or lost reason: `deal.updated`; a note's body:
 * `note.updated` on its record, which is touched too (as editing a note touches it); a task's
 * title: the task is touched (task edits are followed by updatedSince, not the feed); a custom
 * value: `<kind>.updated` naming `customFields.<key>`. Inside the erasure's transaction.
 */
export class ScrubbedRecords {
  constructor(
    private readonly shard: Shard,
    private readonly actor: Actor,
    private readonly now: number,
  ) {}

  /** Deals whose `field` (an API name) was scrubbed; returns how many. */
  deals(field: string, ids: number[]): number {
    if (ids.length)
      logRecordUpdates(
        this.shard,
        this.actor,
        {
          type: "deal",
          rows: "SELECT value AS id, json_object('fields', json_array(?)) AS payload FROM json_each(?)",
          params: [field, JSON.stringify(ids)],
        },
        this.now,
      );
    return ids.length;
  }

  notes(ids: number[]): number {
    if (ids.length === 0) return 0;
    const list = JSON.stringify(ids);
    const picked = "SELECT value FROM json_each(?)";
    this.shard
      .statement(
        `INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload)
         SELECT ?, ?, ?, 'note.updated', subject_type, subject_id, json_object('noteId', id, 'fields', json_array('body'))
         FROM notes WHERE id IN (${picked}) ORDER BY id`,
      )
      .run(this.now, this.actor.type, this.actor.id, list);
    this.shard
      .statement(`UPDATE notes SET updated_at = max(updated_at, ?) WHERE id IN (${picked})`)
      .run(this.now, list);
    for (const type of RECORD_TYPES)
      this.shard
        .statement(
          `UPDATE ${RECORD_PLURALS[type]} SET updated_at = max(updated_at, ?)
           WHERE id IN (SELECT subject_id FROM notes WHERE subject_type = ? AND id IN (${picked}))`,
        )
        .run(this.now, type, list);
    return ids.length;
  }

  tasks(ids: number[]): number {
    if (ids.length)
      this.shard
        .statement(
          "UPDATE tasks SET updated_at = max(updated_at, ?) WHERE id IN (SELECT value FROM json_each(?))",
        )
        .run(this.now, JSON.stringify(ids));
    return ids.length;
  }

  /** Custom values by rowid: one entry per record, naming each of its fields that changed. */
  customValues(rowids: number[]): number {
    if (rowids.length === 0) return 0;
    for (const type of RECORD_TYPES)
      logRecordUpdates(
        this.shard,
        this.actor,
        {
          type,
          rows: `SELECT v.record_id AS id, json_object('fields', json_group_array('customFields.' || f.key)) AS payload
            FROM custom_values v JOIN custom_fields f ON f.id = v.field_id
            WHERE f.entity = ? AND v.rowid IN (SELECT value FROM json_each(?)) GROUP BY v.record_id`,
          params: [type, JSON.stringify(rowids)],
        },
        this.now,
      );
    return rowids.length;
  }
}
