import { eq } from "drizzle-orm";
import { ownerIssue } from "../auth/users.ts";
import { companyIssue } from "../companies/company-exists.ts";
import { ValidationError } from "../core/errors.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { changedFields, recordInteraction } from "../interactions/record-interaction.ts";
import { setTags } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ContactPatch } from "./contact-input.ts";
import type { ContactRecord } from "./contact-record.ts";
import { getContact } from "./get-contact.ts";
import { contacts } from "./schema.ts";

/**
 * Applies the fields present in `patch`. Logs `contact.updated` with each changed field's old
 * and new value; a patch that changes nothing writes nothing.
 */
export function updateContact(
  shard: Shard,
  actor: Actor,
  id: number,
  patch: WithCustomFields<ContactPatch>,
  now = Date.now(),
): ContactRecord {
  shard.transaction(() => {
    const before = getContact(shard, id);
    const issues = [...companyIssue(shard, patch.companyId), ...ownerIssue(shard, patch.ownerId)];
    if (issues.length) throw new ValidationError(issues);
    const { customFields, ...fields } = patch;
    const changes = {
      ...changedFields(before as unknown as Record<string, unknown>, fields),
      ...applyCustomValues(shard, "contact", id, customFields),
    };
    if (Object.keys(changes).length === 0) return;
    const { tags, ...columns } = fields;
    shard.db
      .update(contacts)
      .set({ ...columns, updatedAt: now })
      .where(eq(contacts.id, id))
      .run();
    if (tags) setTags(shard, "contact", id, tags);
    recordInteraction(shard, {
      actor,
      kind: "contact.updated",
      subjectType: "contact",
      subjectId: id,
      occurredAt: now,
      payload: { changes },
    });
  });
  return getContact(shard, id);
}
