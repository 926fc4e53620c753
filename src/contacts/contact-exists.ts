import type { FieldIssue } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";

/** An issue on `field` unless `contactId` is absent or a contact of this workspace. */
export function contactIssue(
  shard: Shard,
  contactId: number | null | undefined,
  field = "contactId",
): FieldIssue[] {
  if (contactId === null || contactId === undefined) return [];
  const found = shard.statement("SELECT 1 AS found FROM contacts WHERE id = ?").get(contactId);
  return found ? [] : [{ field, message: "is not a contact of this workspace" }];
}
