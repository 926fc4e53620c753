import type { Shard } from "../tenancy/shard.ts";

/** A contact's events as found by a scan of the log (see findContactEvents). */
export interface FoundEvents {
  ids: number[];
  /** The log's last event id when the scan began: any event stored since has a higher id. */
  upTo: number;
  /**
   * The interaction log's last id when the scan began: a merge into the contact logged after it
   * (`contact.merged`, on the contact that stays) brought it events the scan did not see.
   */
  loggedUpTo?: number;
}

/**
 * A contact's events: a scan of the log (it has no index by contact: one would slow every
 * ingest ~10×; measured in scripts/bench/contact-events.ts), so call it in a worker. Merges and
 * erasures call it BEFORE their write transaction, so the workspace's writers are not held for
 * the scan, then act in the transaction on these ids and on `id > upTo` (a range of the primary
 * key: the events stored meanwhile). The last ids are read first, so nothing stored during the
 * scan is missed.
 */
export function findContactEvents(shard: Shard, contactId: number): FoundEvents {
  const upTo = Number(shard.statement("SELECT coalesce(max(id), 0) FROM events").values()[0]?.[0] ?? 0);
  const loggedUpTo = Number(
    shard.statement("SELECT coalesce(max(id), 0) FROM interactions").values()[0]?.[0] ?? 0,
  );
  const ids = shard
    .statement("SELECT id FROM events WHERE contact_id = ? AND id <= ?")
    .values(contactId, upTo)
    .map(([id]) => Number(id));
  return { ids, upTo, loggedUpTo };
}

/**
 * Whether another contact was merged into `contactId` since the scan (its `contact.merged`, read
 * from the log's index by subject): that merge re-pointed events the scan found under the other
 * contact, so the list is incomplete.
 */
function mergedIntoSince(shard: Shard, found: FoundEvents, contactId: number): boolean {
  if (found.loggedUpTo === undefined) return true;
  return (
    shard
      .statement(
        "SELECT 1 FROM interactions WHERE subject_type = 'contact' AND subject_id = ? AND id > ? AND kind = 'contact.merged' LIMIT 1",
      )
      .get(contactId, found.loggedUpTo) !== null
  );
}

/**
 * In a write transaction: re-points (`to` a contact) or deletes (`to` null) the events found
 * before that still name `contactId`, and those stored since; two statements, each on the
 * primary key. If a merge into the contact committed since the scan (rare: two rewrites of
 * one contact at once), every event naming it is read instead (a scan, under the write lock).
 * Returns how many changed.
 */
export function rewriteFoundEvents(
  shard: Shard,
  found: FoundEvents,
  contactId: number,
  to: number | null,
): number {
  const [head, params] =
    to === null ? ["DELETE FROM events", []] : ["UPDATE events SET contact_id = ?3", [to]];
  if (mergedIntoSince(shard, found, contactId)) {
    const all =
      to === null
        ? shard.statement("DELETE FROM events WHERE contact_id = ?").run(contactId)
        : shard.statement("UPDATE events SET contact_id = ? WHERE contact_id = ?").run(to, contactId);
    return all.changes;
  }
  const listed = shard
    .statement(`${head} WHERE id IN (SELECT value FROM json_each(?1)) AND contact_id = ?2`)
    .run(JSON.stringify(found.ids), contactId, ...params);
  const since = shard
    .statement(`${head} WHERE id > ?1 AND contact_id = ?2`)
    .run(found.upTo, contactId, ...params);
  return listed.changes + since.changes;
}
