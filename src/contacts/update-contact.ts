import { eq } from "drizzle-orm";
import { ownerIssue } from "../auth/users.ts";
import { companyIssue } from "../companies/company-exists.ts";
import { ValidationError } from "../core/errors.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { externalIdIssue } from "../records/external-id.ts";
import { patchRecord } from "../records/patch-record.ts";
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
    const issues = [
      ...companyIssue(shard, patch.companyId),
      ...ownerIssue(shard, patch.ownerId),
      ...externalIdIssue(shard, "contacts", patch.externalId, id),
    ];
    if (issues.length) throw new ValidationError(issues);
    patchRecord(
      shard,
      actor,
      { type: "contact", id, before },
      patch,
      (columns) =>
        shard.db
          .update(contacts)
          .set({ ...columns, updatedAt: now })
          .where(eq(contacts.id, id))
          .run(),
      now,
    );
  });
  return getContact(shard, id);
}
