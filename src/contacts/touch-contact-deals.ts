import type { Shard } from "../tenancy/shard.ts";

/**
 * Marks the deals a contact is on as changed now, in the caller's transaction, before the
 * contact goes (deleted or erased): the delete takes it out of their `contactIds` by cascade,
 * with no entry of their own, so a client syncing by `updatedSince` would otherwise keep it.
 */
export function touchContactDeals(shard: Shard, contactId: number, now: number): void {
  shard
    .statement(
      "UPDATE deals SET updated_at = max(updated_at, ?) WHERE id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = ?)",
    )
    .run(now, contactId);
}
