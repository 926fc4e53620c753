import { eq } from "drizzle-orm";
import { ownerIssue } from "../auth/users.ts";
import { ValidationError } from "../core/errors.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { externalIdIssue } from "../records/external-id.ts";
import { patchRecord } from "../records/patch-record.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { CompanyPatch } from "./company-input.ts";
import type { CompanyRecord } from "./company-record.ts";
import { getCompany } from "./get-company.ts";
import { companies } from "./schema.ts";

/** Applies the fields present in `patch` and logs `company.updated` with each change; no change writes nothing. */
export function updateCompany(
  shard: Shard,
  actor: Actor,
  id: number,
  patch: WithCustomFields<CompanyPatch>,
  now = Date.now(),
): CompanyRecord {
  shard.transaction(() => {
    const before = getCompany(shard, id);
    const issues = [
      ...ownerIssue(shard, patch.ownerId),
      ...externalIdIssue(shard, "companies", patch.externalId, id),
    ];
    if (issues.length) throw new ValidationError(issues);
    patchRecord(
      shard,
      actor,
      { type: "company", id, before },
      patch,
      (columns) =>
        shard.db
          .update(companies)
          .set({ ...columns, updatedAt: now })
          .where(eq(companies.id, id))
          .run(),
      now,
    );
  });
  return getCompany(shard, id);
}
