import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import type { Shard } from "../tenancy/shard.ts";
import { contactName } from "./contact-record.ts";
import { getContact } from "./get-contact.ts";

/** Deletes a contact (its tag links go with it) and logs `contact.deleted`; 404 if it is not in this workspace. */
export function deleteContact(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  shard.transaction(() => {
    const contact = getContact(shard, id);
    shard.statement("DELETE FROM contacts WHERE id = ?").run(id);
    recordInteraction(shard, {
      actor,
      kind: "contact.deleted",
      subjectType: "contact",
      subjectId: id,
      occurredAt: now,
      payload: { name: contactName(contact) },
    });
  });
}
