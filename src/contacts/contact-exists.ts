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

/** The oldest contact of this workspace with exactly this email, if any. */
export function contactIdByEmail(shard: Shard, email: string): number | null {
  const row = shard.statement("SELECT id FROM contacts WHERE email = ? ORDER BY id LIMIT 1").get(email) as {
    id: number;
  } | null;
  return row?.id ?? null;
}
