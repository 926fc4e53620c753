import type { FieldIssue } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";

/** An issue on `field` unless `companyId` is absent or a company of this workspace. */
export function companyIssue(
  shard: Shard,
  companyId: number | null | undefined,
  field = "companyId",
): FieldIssue[] {
  if (companyId === null || companyId === undefined) return [];
  const found = shard.statement("SELECT 1 AS found FROM companies WHERE id = ?").get(companyId);
  return found ? [] : [{ field, message: "is not a company of this workspace" }];
}
