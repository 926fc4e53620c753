import type { Actor } from "../identity/viewer.ts";
import { deleteRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { COMPANY_TABLE } from "./company-record.ts";

/** Deletes a company and logs `company.deleted`. Its contacts stay, no longer linked to it. */
export function deleteCompany(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  deleteRecord(
    shard,
    actor,
    COMPANY_TABLE,
    id,
    (company) => ({ name: company.name, contactsUnlinked: company.contactCount }),
    now,
  );
}
