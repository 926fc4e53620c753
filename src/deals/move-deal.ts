import { ValidationError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import { getStage, stageIssue } from "../pipelines/pipelines.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { DealRecord } from "./deal-record.ts";
import { getDeal } from "./get-deal.ts";

export interface MoveOptions {
  /** Why it was lost, when the new stage is a lost one. */
  lostReason?: string | null;
}

/**
 * Moves a deal to another stage of its own pipeline (a stage elsewhere is a 422 and changes
 * nothing) and logs `deal.stage_changed`, plus `deal.won` or `deal.lost` on reaching such a
 * stage, all in one transaction. Concurrent moves of one card: the last one wins; the board's
 * counts and sums are computed from the deals themselves, so they are never off.
 */
export function moveDeal(
  shard: Shard,
  actor: Actor,
  dealId: number,
  stageId: number,
  options: MoveOptions = {},
  now = Date.now(),
): DealRecord {
  shard.transaction(() => {
    const deal = getDeal(shard, dealId);
    const stage = getStage(shard, stageId);
    const issues = stageIssue(stage, deal.pipelineId);
    if (issues.length || !stage) throw new ValidationError(issues);
    const reason = stage.kind === "lost" ? (options.lostReason ?? deal.lostReason ?? null) : null;
    if (stage.id === deal.stageId && reason === deal.lostReason) return;
    shard
      .statement(
        `UPDATE deals SET stage_id = ?, status = ?, lost_reason = ?, closed_at = ?, stage_entered_at = ?, updated_at = ?
         WHERE id = ?`,
      )
      .run(stage.id, stage.kind, reason, stage.kind === "open" ? null : now, now, now, dealId);
    const subject = { actor, subjectType: "deal" as const, subjectId: dealId, occurredAt: now };
    if (stage.id !== deal.stageId) {
      recordInteraction(shard, {
        ...subject,
        kind: "deal.stage_changed",
        payload: { fromStageId: deal.stageId, toStageId: stage.id, from: deal.stageName, to: stage.name },
      });
    }
    if (stage.kind === "won")
      recordInteraction(shard, { ...subject, kind: "deal.won", payload: { stage: stage.name } });
    if (stage.kind === "lost") {
      recordInteraction(shard, { ...subject, kind: "deal.lost", payload: { stage: stage.name, reason } });
    }
  });
  return getDeal(shard, dealId);
}
