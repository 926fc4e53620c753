import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { createCompany } from "./create-company.ts";

/**
 * The company a user typed by name on a contact form: an existing one with that name
 * (ignoring case; the oldest if there are several), or a new one owned by the same owner.
 */
export function findOrCreateCompany(
  shard: Shard,
  actor: Actor,
  name: string,
  ownerId: number | null,
): number {
  const existing = shard
    .statement("SELECT id FROM companies WHERE name = ? COLLATE NOCASE ORDER BY id LIMIT 1")
    .get(name) as { id: number } | null;
  if (existing) return existing.id;
  return createCompany(shard, actor, { name, ownerId, tags: [] }).id;
}

/**
 * The company a contact's or deal's form names (`companyName`, typed), found or created with
 * the record's owner; none when the field is empty. Call it inside the record's write transaction.
 */
export function companyFromForm(
  shard: Shard,
  actor: Actor,
  form: { companyName: string; input: { ownerId?: number | null } },
): number | null {
  return form.companyName
    ? findOrCreateCompany(shard, actor, form.companyName, form.input.ownerId ?? null)
    : null;
}
