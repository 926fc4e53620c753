import { eq } from "drizzle-orm";
import { ownerIssue } from "../auth/users.ts";
import { ValidationError } from "../core/errors.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { changedFields, recordInteraction } from "../interactions/record-interaction.ts";
import { setTags } from "../tags/set-tags.ts";
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
    const issues = ownerIssue(shard, patch.ownerId);
    if (issues.length) throw new ValidationError(issues);
    const { customFields, ...fields } = patch;
    const changes = {
      ...changedFields(before as unknown as Record<string, unknown>, fields),
      ...applyCustomValues(shard, "company", id, customFields),
    };
    if (Object.keys(changes).length === 0) return;
    const { tags, ...columns } = fields;
    shard.db
      .update(companies)
      .set({ ...columns, updatedAt: now })
      .where(eq(companies.id, id))
      .run();
    if (tags) setTags(shard, "company", id, tags);
    recordInteraction(shard, {
      actor,
      kind: "company.updated",
      subjectType: "company",
      subjectId: id,
      occurredAt: now,
      payload: { changes },
    });
  });
  return getCompany(shard, id);
}
