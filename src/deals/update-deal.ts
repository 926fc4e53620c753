import { eq } from "drizzle-orm";
import { ownerIssue } from "../auth/users.ts";
import { companyIssue } from "../companies/company-exists.ts";
import { ValidationError } from "../core/errors.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { changedFields, recordInteraction } from "../interactions/record-interaction.ts";
import { externalIdIssue } from "../records/external-id.ts";
import { setTags } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { DealPatch } from "./deal-input.ts";
import { contactIdsIssues, setDealContacts } from "./deal-links.ts";
import type { DealRecord } from "./deal-record.ts";
import { dealContactIds, getDeal } from "./get-deal.ts";
import { moveDeal } from "./move-deal.ts";
import { deals } from "./schema.ts";

/**
 * Applies the fields present in `patch` and logs `deal.updated` with each change. A new
 * stageId is a move (moveDeal: same pipeline only, logged as a stage change); pipelineId
 * cannot change on its own (move to a stage of the other pipeline is refused too).
 */
export function updateDeal(
  shard: Shard,
  actor: Actor,
  id: number,
  patch: WithCustomFields<DealPatch>,
  now = Date.now(),
): DealRecord {
  shard.transaction(() => {
    const before = { ...getDeal(shard, id), contactIds: dealContactIds(shard, id) };
    const issues = [
      ...companyIssue(shard, patch.companyId),
      ...ownerIssue(shard, patch.ownerId),
      ...contactIdsIssues(shard, patch.contactIds),
      ...externalIdIssue(shard, "deals", patch.externalId, id),
    ];
    if (patch.pipelineId !== undefined && patch.pipelineId !== before.pipelineId) {
      issues.push({ field: "pipelineId", message: "cannot change; move the deal to a stage instead" });
    }
    // A reason alone corrects a lost deal's reason; on an open or won deal it would be silently lost.
    const reasonOnly = patch.lostReason !== undefined && patch.stageId === undefined;
    if (reasonOnly && before.status !== "lost") {
      issues.push({
        field: "lostReason",
        message: "only a lost deal has a reason; send a lost stageId with it",
      });
    }
    if (issues.length) throw new ValidationError(issues);
    if (patch.stageId !== undefined)
      moveDeal(shard, actor, id, patch.stageId, { lostReason: patch.lostReason }, now);
    const {
      tags,
      contactIds,
      stageId: _stage,
      pipelineId: _pipeline,
      lostReason: _reason,
      customFields,
      ...columns
    } = patch;
    const changes = {
      ...changedFields(before as unknown as Record<string, unknown>, { ...columns, tags, contactIds }),
      ...applyCustomValues(shard, "deal", id, customFields),
      ...(reasonOnly
        ? changedFields(before as unknown as Record<string, unknown>, { lostReason: patch.lostReason })
        : {}),
    };
    if (Object.keys(changes).length === 0) return;
    shard.db
      .update(deals)
      .set({ ...columns, ...(reasonOnly ? { lostReason: patch.lostReason } : {}), updatedAt: now })
      .where(eq(deals.id, id))
      .run();
    if (tags) setTags(shard, "deal", id, tags);
    if (contactIds) setDealContacts(shard, id, contactIds);
    recordInteraction(shard, {
      actor,
      kind: "deal.updated",
      subjectType: "deal",
      subjectId: id,
      occurredAt: now,
      payload: { changes },
    });
  });
  return getDeal(shard, id);
}
