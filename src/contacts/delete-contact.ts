import type { Actor } from "../identity/viewer.ts";
import { deleteRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { CONTACT_TABLE, contactName } from "./contact-record.ts";

/** Deletes a contact (its tag links go with it) and logs `contact.deleted`; 404 if it is not in this workspace. */
export function deleteContact(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  deleteRecord(shard, actor, CONTACT_TABLE, id, (contact) => ({ name: contactName(contact) }), now);
}
