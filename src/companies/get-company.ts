import { getRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { COMPANY_TABLE, type CompanyRecord } from "./company-record.ts";

/** The company with `id` in this workspace, or a 404. */
export function getCompany(shard: Shard, id: number): CompanyRecord {
  return getRecord(shard, COMPANY_TABLE, id);
}
