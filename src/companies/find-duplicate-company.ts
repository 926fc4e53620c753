import type { DuplicateHit } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * The oldest other company with this domain, for the pages' duplicate warning. Domains are
 * stored normalised (domainName: lower case, no scheme, no leading www., no path), so
 * `https://www.Acme.com/about` and `acme.com` meet here, through companies_domain_idx.
 */
export function findDuplicateCompany(
  shard: Shard,
  domain: string | null | undefined,
  exceptId: number | null,
): DuplicateHit | null {
  if (!domain) return null;
  const row = shard
    .statement("SELECT id, name FROM companies WHERE domain = ? AND id <> ? ORDER BY id LIMIT 1")
    .get(domain, exceptId ?? 0) as { id: number; name: string } | null;
  return row && { ...row, field: "domain", message: "A company with this domain already exists" };
}
