import { COMPANY_KIND } from "../companies/company-kind.ts";
import type { CompanyRecord } from "../companies/company-record.ts";
import { getCompany } from "../companies/get-company.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { foldDuplicate } from "./fold-duplicate.ts";
import type { MergeInput } from "./merge-input.ts";

/**
 * Moves the duplicate's people and deals to the survivor, before the delete, whose foreign
 * keys would set them to no company at all. `updated_at = now`: an integration syncing by
 * `updatedAt` sees the new `companyId`.
 */
function relinkPeopleAndDeals(shard: Shard, duplicateId: number, survivorId: number, now: number): void {
  for (const table of ["contacts", "deals"] as const) {
    shard
      .statement(`UPDATE ${table} SET company_id = ?, updated_at = ? WHERE company_id = ?`)
      .run(survivorId, now, duplicateId);
  }
}

/**
 * Folds the duplicate company into the survivor in one transaction (see foldDuplicate): the
 * survivor also takes the duplicate's people and deals. Logs `company.merged`, then
 * `company.updated` if its fields changed.
 */
export function mergeCompanies(
  shard: Shard,
  actor: Actor,
  input: MergeInput,
  now = Date.now(),
): CompanyRecord {
  shard.transaction(() => foldDuplicate(shard, actor, COMPANY_KIND, relinkPeopleAndDeals, input, now));
  return getCompany(shard, input.survivorId);
}
