import type { DuplicateHit } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * The oldest other contact with this email, for the pages' duplicate warning. Every write
 * stores an email trimmed and lower-cased (emailAddress), so comparing the stored value with
 * the normalised one is a case-insensitive match, and contacts_email_idx (email, id) answers
 * it with one index seek: no expression index on lower(email) is needed.
 */
export function findDuplicateContact(
  shard: Shard,
  email: string | null | undefined,
  exceptId: number | null,
): DuplicateHit | null {
  if (!email) return null;
  const row = shard
    .statement(
      `SELECT id, CASE WHEN last_name = '' THEN first_name ELSE first_name || ' ' || last_name END AS name
       FROM contacts WHERE email = ? AND id <> ? ORDER BY id LIMIT 1`,
    )
    .get(email.trim().toLowerCase(), exceptId ?? 0) as { id: number; name: string } | null;
  return row && { ...row, field: "email", message: "A contact with this email already exists" };
}
