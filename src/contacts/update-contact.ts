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

/** The columns a patch may set, by field (constants: the only text that goes into the statement). */
const PATCH_COLUMNS: Record<keyof Omit<ContactPatch, "tags">, string> = {
  firstName: "first_name",
  lastName: "last_name",
  email: "email",
  phone: "phone",
  title: "title",
  companyId: "company_id",
  ownerId: "owner_id",
  externalId: "external_id",
};

/**
 * Writes the patch's columns and `updated_at` with a statement prepared once per open shard for
 * each set of columns (a query built per call costs ~10× more: STACK-NOTES).
 */
function writeContactColumns(
  shard: Shard,
  id: number,
  columns: Omit<ContactPatch, "tags">,
  now: number,
): void {
  const names: string[] = [];
  const values: (string | number | null)[] = [];
  for (const [field, column] of Object.entries(PATCH_COLUMNS)) {
    const value = columns[field as keyof typeof PATCH_COLUMNS];
    if (value === undefined) continue;
    names.push(`${column} = ?`);
    values.push(value);
  }
  shard
    .statement(`UPDATE contacts SET ${[...names, "updated_at = ?"].join(", ")} WHERE id = ?`)
    .run(...values, now, id);
}

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
      (columns) => writeContactColumns(shard, id, columns, now),
      now,
    );
  });
  return getContact(shard, id);
}
