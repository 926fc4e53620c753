import { ownerIssue } from "../auth/users.ts";
import { ValidationError } from "../core/errors.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import { externalIdIssue } from "../records/external-id.ts";
import { setTags } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { CompanyCreate } from "./company-input.ts";
import type { CompanyRecord } from "./company-record.ts";
import { getCompany } from "./get-company.ts";
import { companies } from "./schema.ts";

/** Creates a company with its tags and logs `company.created`, all in one transaction. */
export function createCompany(
  shard: Shard,
  actor: Actor,
  input: WithCustomFields<Pick<CompanyCreate, "name" | "tags"> & Partial<CompanyCreate>>,
  now = Date.now(),
): CompanyRecord {
  const id = shard.transaction(() => {
    const issues = [
      ...ownerIssue(shard, input.ownerId),
      ...externalIdIssue(shard, "companies", input.externalId),
    ];
    if (issues.length) throw new ValidationError(issues);
    const { id } = shard.db
      .insert(companies)
      .values({
        name: input.name,
        domain: input.domain ?? null,
        phone: input.phone ?? null,
        city: input.city ?? null,
        country: input.country ?? null,
        ownerId: input.ownerId ?? null,
        externalId: input.externalId ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: companies.id })
      .get();
    setTags(shard, "company", id, input.tags);
    applyCustomValues(shard, "company", id, input.customFields);
    recordInteraction(shard, {
      actor,
      kind: "company.created",
      subjectType: "company",
      subjectId: id,
      occurredAt: now,
      payload: { name: input.name },
    });
    return id;
  });
  return getCompany(shard, id);
}
