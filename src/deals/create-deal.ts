import { ownerIssue } from "../auth/users.ts";
import { companyIssue } from "../companies/company-exists.ts";
import { ValidationError } from "../core/errors.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import {
  defaultPipeline,
  getStage,
  listPipelines,
  stageIssue,
  workspaceCurrency,
} from "../pipelines/pipelines.ts";
import { externalIdIssue } from "../records/external-id.ts";
import { setTags } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { DealCreate } from "./deal-input.ts";
import { contactIdsIssues, setDealContacts } from "./deal-links.ts";
import type { DealRecord } from "./deal-record.ts";
import { getDeal } from "./get-deal.ts";
import { deals } from "./schema.ts";

/**
 * Creates a deal and logs `deal.created`, in one transaction. It goes to the given stage (which
 * must belong to the given pipeline, if both are named), else the first stage of the pipeline.
 */
export function createDeal(
  shard: Shard,
  actor: Actor,
  input: WithCustomFields<DealCreate>,
  now = Date.now(),
): DealRecord {
  const id = shard.transaction(() => {
    const issues = [
      ...companyIssue(shard, input.companyId),
      ...ownerIssue(shard, input.ownerId),
      ...contactIdsIssues(shard, input.contactIds),
      ...externalIdIssue(shard, "deals", input.externalId),
    ];
    let pipelineId = input.pipelineId;
    let stage = input.stageId === undefined ? undefined : getStage(shard, input.stageId);
    if (input.stageId !== undefined) {
      pipelineId ??= stage?.pipelineId;
      issues.push(...stageIssue(stage, pipelineId ?? -1));
    } else {
      const pipeline =
        pipelineId === undefined
          ? defaultPipeline(shard)
          : listPipelines(shard).find((p) => p.id === pipelineId);
      if (!pipeline) issues.push({ field: "pipelineId", message: "is not a pipeline of this workspace" });
      stage = pipeline?.stages.find((s) => s.kind === "open") ?? pipeline?.stages[0];
      pipelineId = pipeline?.id;
      if (pipeline && !stage) issues.push({ field: "pipelineId", message: "has no stages yet" });
    }
    if (issues.length || !stage || pipelineId === undefined) throw new ValidationError(issues);
    const closed = stage.kind !== "open";
    const { id } = shard.db
      .insert(deals)
      .values({
        title: input.title,
        amountCents: input.amountCents,
        currency: input.currency ?? workspaceCurrency(shard),
        expectedCloseOn: input.expectedCloseOn ?? null,
        pipelineId,
        stageId: stage.id,
        companyId: input.companyId ?? null,
        ownerId: input.ownerId ?? null,
        externalId: input.externalId ?? null,
        status: stage.kind,
        lostReason: stage.kind === "lost" ? (input.lostReason ?? null) : null,
        closedAt: closed ? now : null,
        stageEnteredAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: deals.id })
      .get();
    setTags(shard, "deal", id, input.tags);
    setDealContacts(shard, id, input.contactIds);
    applyCustomValues(shard, "deal", id, input.customFields);
    recordInteraction(shard, {
      actor,
      kind: "deal.created",
      subjectType: "deal",
      subjectId: id,
      occurredAt: now,
      payload: { name: input.title, stage: stage.name },
    });
    return id;
  });
  return getDeal(shard, id);
}
