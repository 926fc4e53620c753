import { type FoundEvents, rewriteFoundEvents } from "../contacts/contact-events.ts";
import type { Shard } from "../tenancy/shard.ts";

/** The kinds whose latest event both contacts had at the same time (a few primary-key reads). */
function tiedKinds(shard: Shard, survivorId: number, duplicateId: number): { kind: string; at: number }[] {
  return shard
    .statement(
      `SELECT s.kind, s.last_at AS at FROM contact_engagement s
       JOIN contact_engagement d ON d.contact_id = ?2 AND d.kind = s.kind AND d.last_at = s.last_at
       WHERE s.contact_id = ?1`,
    )
    .all(survivorId, duplicateId) as { kind: string; at: number }[];
}

/**
 * Where the two contacts' latest events of a kind happened at the same moment, the one stored
 * last (the larger id) is the latest, as a batch with such a tie counts it: its id, by kind,
 * among the events up to `found.upTo`. A scan of the log per tied kind (no index by contact),
 * so call it before the merge's transaction; none when nothing ties (the usual case).
 */
export function findTiedLatest(
  shard: Shard,
  found: FoundEvents,
  duplicateId: number,
  survivorId: number,
): Map<string, { at: number; id: number }> {
  const latest = new Map<string, { at: number; id: number }>();
  // A contact merged with itself is refused in the transaction: nothing to look for.
  if (survivorId === duplicateId) return latest;
  const last = shard.statement(
    `SELECT max(id) AS id FROM events
     WHERE contact_id IN (?1, ?2) AND kind = ?3 AND occurred_at = ?4 AND id <= ?5`,
  );
  for (const { kind, at } of tiedKinds(shard, survivorId, duplicateId)) {
    const row = last.get(survivorId, duplicateId, kind, at, found.upTo) as { id: number | null };
    if (row.id !== null) latest.set(kind, { at, id: row.id });
  }
  return latest;
}

/**
 * In the merge's transaction: re-points the duplicate's events to the survivor (found before
 * the transaction by findContactEvents, and any stored since) and adds its engagement to the
 * survivor's (counts summed, the earlier first, the later last with its details; on a tie of
 * the two last times, the details of the event stored last: `tied`, from findTiedLatest, and
 * any stored since), then deletes the duplicate's.
 */
export function moveEvents(
  shard: Shard,
  found: FoundEvents,
  duplicateId: number,
  survivorId: number,
  tied: Map<string, { at: number; id: number }> = new Map(),
): void {
  const ties = tiedKinds(shard, survivorId, duplicateId);
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
  // A tie: the latest stored since the scan (a range of the primary key), else the one it found.
  const since = shard.statement(
    `SELECT max(id) AS id FROM events WHERE id > ?1 AND contact_id = ?2 AND kind = ?3 AND occurred_at = ?4`,
  );
  const setLast = shard.statement(
    `UPDATE contact_engagement SET last_payload = (SELECT payload FROM events WHERE id = ?3)
     WHERE contact_id = ?1 AND kind = ?2 AND EXISTS (SELECT 1 FROM events WHERE id = ?3)`,
  );
  for (const { kind, at } of ties) {
    const stored = since.get(found.upTo, survivorId, kind, at) as { id: number | null };
    const id = stored.id ?? (tied.get(kind)?.at === at ? tied.get(kind)?.id : undefined);
    if (id !== undefined) setLast.run(survivorId, kind, id);
  }
}
