import { NotFoundError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import {
  COMPANY_COLUMNS,
  COMPANY_JOINS,
  type CompanyRecord,
  type CompanyRow,
  toCompanyRecord,
} from "./company-record.ts";

/** The company with `id` in this workspace, or a 404. */
export function getCompany(shard: Shard, id: number): CompanyRecord {
  const row = shard
    .statement(`SELECT ${COMPANY_COLUMNS} FROM companies co ${COMPANY_JOINS} WHERE co.id = ?`)
    .get(id) as CompanyRow | null;
  if (!row) throw new NotFoundError("company");
  return toCompanyRecord(row);
}
