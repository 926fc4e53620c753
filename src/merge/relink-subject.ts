import type { RecordType } from "../core/record-types.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * Moves what is about one record (its notes, tasks and timeline) to another, in
 * the merge's transaction and before the first record is deleted: its delete trigger would
 * otherwise delete the notes and unlink the tasks. Notes and tasks get `updated_at = now`, so
 * an integration syncing by `updatedAt` sees their new `subjectId`.
 */
export function relinkSubject(
  shard: Shard,
  type: RecordType,
  fromId: number,
  toId: number,
  now: number,
): void {
  shard
    .statement("UPDATE notes SET subject_id = ?, updated_at = ? WHERE subject_type = ? AND subject_id = ?")
    .run(toId, now, type, fromId);
  shard
    .statement("UPDATE tasks SET subject_id = ?, updated_at = ? WHERE subject_type = ? AND subject_id = ?")
    .run(toId, now, type, fromId);
  // The interaction log is append-only; re-pointing a merged record's entries is the one
  // rewrite allowed. Left alone they would describe a record that no longer exists, and the
  // calls, emails and history of the person (or company) would vanish from every timeline.
  // The `*.merged` entry logged with it keeps the old id (mergedId), so the analytics export,
  // which already holds the earlier entries under that id, can map them to the survivor.
  shard
    .statement("UPDATE interactions SET subject_id = ? WHERE subject_type = ? AND subject_id = ?")
    .run(toId, type, fromId);
}
