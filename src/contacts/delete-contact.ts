import type { Actor } from "../identity/viewer.ts";
import { deleteRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { deleteEngagement } from "./contact-engagement.ts";
import { CONTACT_TABLE, contactName } from "./contact-record.ts";
import { touchContactDeals } from "./touch-contact-deals.ts";

/**
 * Deletes a contact (its tag links go with it, and its engagement summary) and logs
 * `contact.deleted`; 404 if it is not in this workspace. The deals it was on are touched
 * (updated_at): they lose it from their contactIds. Its events stay in the log, as its
 * other interactions do.
 */
export function deleteContact(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  shard.transaction(() => {
    touchContactDeals(shard, id, now);
    deleteRecord(shard, actor, CONTACT_TABLE, id, (contact) => ({ name: contactName(contact) }), now);
    deleteEngagement(shard, id);
  });
}
