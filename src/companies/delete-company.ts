import type { Actor } from "../identity/viewer.ts";
import { deleteRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { COMPANY_TABLE } from "./company-record.ts";

/**
 * Deletes a company and logs `company.deleted`. Its contacts and deals stay, no longer linked
 * to it (the foreign keys clear their companyId), and are touched (updated_at), as a merge
 * touches those it moves: a client syncing by `updatedSince` sees the change.
 */
export function deleteCompany(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  shard.transaction(() => {
    for (const table of ["contacts", "deals"] as const) {
      shard
        .statement(`UPDATE ${table} SET updated_at = max(updated_at, ?) WHERE company_id = ?`)
        .run(now, id);
    }
    deleteRecord(
      shard,
      actor,
      COMPANY_TABLE,
      id,
      (company) => ({ name: company.name, contactsUnlinked: company.contactCount }),
      now,
    );
  });
}
