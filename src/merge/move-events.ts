import { type FoundEvents, rewriteFoundEvents } from "../contacts/contact-events.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * In the merge's transaction: re-points the duplicate's events to the survivor (found before
 * the transaction by findContactEvents, and any stored since) and adds its engagement to the
 * survivor's (counts summed, the earlier first, the later last with its details), then deletes
 * the duplicate's.
 */
export function moveEvents(shard: Shard, found: FoundEvents, duplicateId: number, survivorId: number): void {
  rewriteFoundEvents(shard, found, duplicateId, survivorId);
  // In an upsert's SET every column reads the survivor's row as it was, so last_payload
  // compares the two last_at values before last_at changes. (`WHERE true` lets SQLite tell the
  // SELECT's end from ON CONFLICT.)
  shard
    .statement(
      `INSERT INTO contact_engagement (contact_id, kind, count, first_at, last_at, last_payload)
       SELECT ?1, kind, count, first_at, last_at, last_payload FROM contact_engagement WHERE contact_id = ?2 AND true
       ON CONFLICT (contact_id, kind) DO UPDATE SET
         count = count + excluded.count,
         first_at = min(first_at, excluded.first_at),
         last_payload = CASE WHEN excluded.last_at > last_at THEN excluded.last_payload ELSE last_payload END,
         last_at = max(last_at, excluded.last_at)`,
    )
    .run(survivorId, duplicateId);
  shard.statement("DELETE FROM contact_engagement WHERE contact_id = ?").run(duplicateId);
}
