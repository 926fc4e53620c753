import { COMPANY_MERGE_FIELDS } from "../companies/company-kind.ts";
import type { CompanyRecord } from "../companies/company-record.ts";
import { getCompany } from "../companies/get-company.ts";
import { updateCompany } from "../companies/update-company.ts";
import { ValidationError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import type { Shard } from "../tenancy/shard.ts";
import { combinedTags, customValuesFromDuplicate, fieldsFromDuplicate } from "./merge-choices.ts";
import type { MergeInput } from "./merge-input.ts";
import { relinkSubject } from "./relink-subject.ts";

/**
 * Folds the duplicate company into the survivor, all in one transaction (any failure changes
 * nothing): the survivor takes the chosen fields and custom values, both companies' tags, and
 * the duplicate's people, deals, notes, tasks and timeline; the duplicate is deleted;
 * `company.merged` {mergedId, name} is logged on the survivor, then `company.updated` if its
 * fields changed. 404 if either company is not in this workspace; 422 for a company merged
 * with itself.
 */
export function mergeCompanies(
  shard: Shard,
  actor: Actor,
  input: MergeInput,
  now = Date.now(),
): CompanyRecord {
  shard.transaction(() => {
    const survivor = getCompany(shard, input.survivorId);
    const duplicate = getCompany(shard, input.duplicateId);
    if (survivor.id === duplicate.id) {
      throw new ValidationError([{ field: "duplicateId", message: "must be another company than this one" }]);
    }
    const patch = {
      ...fieldsFromDuplicate(COMPANY_MERGE_FIELDS, survivor, duplicate, input.keep),
      tags: combinedTags(survivor.tags, duplicate.tags),
      customFields: customValuesFromDuplicate(shard, "company", survivor.id, duplicate.id, input.keep),
    };
    // Re-linked before the delete, whose foreign keys would set them to no company at all.
    // `updated_at = now`: an integration syncing by `updatedAt` sees the new `companyId`.
    for (const table of ["contacts", "deals"] as const) {
      shard
        .statement(`UPDATE ${table} SET company_id = ?, updated_at = ? WHERE company_id = ?`)
        .run(survivor.id, now, duplicate.id);
    }
    relinkSubject(shard, "company", duplicate.id, survivor.id, now);
    // Deleted here rather than through deleteCompany: `company.merged` on the survivor says
    // where it went, and a `company.deleted` would count a company as lost that was not.
    shard.statement("DELETE FROM companies WHERE id = ?").run(duplicate.id);
    recordInteraction(shard, {
      actor,
      kind: "company.merged",
      subjectType: "company",
      subjectId: survivor.id,
      occurredAt: now,
      payload: { mergedId: duplicate.id, name: duplicate.name },
    });
    updateCompany(shard, actor, survivor.id, patch, now);
  });
  return getCompany(shard, input.survivorId);
}
