import { CONTACT_MERGE_FIELDS } from "../contacts/contact-kind.ts";
import { type ContactRecord, contactName } from "../contacts/contact-record.ts";
import { getContact } from "../contacts/get-contact.ts";
import { updateContact } from "../contacts/update-contact.ts";
import { ValidationError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import type { Shard } from "../tenancy/shard.ts";
import { combinedTags, customValuesFromDuplicate, fieldsFromDuplicate } from "./merge-choices.ts";
import type { MergeInput } from "./merge-input.ts";
import { relinkSubject } from "./relink-subject.ts";

/** Puts the duplicate's deals on the survivor (a deal both are on keeps one link) and takes them off the duplicate. */
function relinkDeals(shard: Shard, duplicateId: number, survivorId: number, now: number): void {
  shard
    .statement(
      "UPDATE deals SET updated_at = ? WHERE id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = ?)",
    )
    .run(now, duplicateId);
  shard
    .statement(
      "INSERT OR IGNORE INTO deal_contacts (deal_id, contact_id) SELECT deal_id, ? FROM deal_contacts WHERE contact_id = ?",
    )
    .run(survivorId, duplicateId);
  shard.statement("DELETE FROM deal_contacts WHERE contact_id = ?").run(duplicateId);
}

/**
 * Folds the duplicate contact into the survivor, all in one transaction (any failure changes
 * nothing): the survivor takes the chosen fields and custom values, both records' tags, and
 * the duplicate's deals, notes, tasks and timeline; the duplicate is deleted; `contact.merged`
 * {mergedId, name} is logged on the survivor, then `contact.updated` if its fields changed.
 * 404 if either contact is not in this workspace; 422 for a contact merged with itself.
 */
export function mergeContacts(
  shard: Shard,
  actor: Actor,
  input: MergeInput,
  now = Date.now(),
): ContactRecord {
  shard.transaction(() => {
    const survivor = getContact(shard, input.survivorId);
    const duplicate = getContact(shard, input.duplicateId);
    if (survivor.id === duplicate.id) {
      throw new ValidationError([{ field: "duplicateId", message: "must be another contact than this one" }]);
    }
    const patch = {
      ...fieldsFromDuplicate(CONTACT_MERGE_FIELDS, survivor, duplicate, input.keep),
      tags: combinedTags(survivor.tags, duplicate.tags),
      customFields: customValuesFromDuplicate(shard, "contact", survivor.id, duplicate.id, input.keep),
    };
    relinkDeals(shard, duplicate.id, survivor.id, now);
    relinkSubject(shard, "contact", duplicate.id, survivor.id, now);
    // Deleted here rather than through deleteContact: `contact.merged` on the survivor says
    // where it went, and a `contact.deleted` would count a person as lost who was not. Its tag
    // links go by cascade; everything else was moved above. Deleting before the update also
    // frees the duplicate's email for the survivor, should emails ever become unique.
    shard.statement("DELETE FROM contacts WHERE id = ?").run(duplicate.id);
    recordInteraction(shard, {
      actor,
      kind: "contact.merged",
      subjectType: "contact",
      subjectId: survivor.id,
      occurredAt: now,
      payload: { mergedId: duplicate.id, name: contactName(duplicate) },
    });
    updateContact(shard, actor, survivor.id, patch, now);
  });
  return getContact(shard, input.survivorId);
}
