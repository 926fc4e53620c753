import { NotFoundError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { ifMatchedWrite } from "../tenancy/if-matched-write.ts";
import type { Shard } from "../tenancy/shard.ts";
import { updateStage } from "./manage-pipelines.ts";
import { getPipeline, getStage, type PipelineWithStages, pipelineJson } from "./pipelines.ts";

/** A stage change as plain data, so a worker can run it (src/pipelines/change-stage.worker.ts). */
export interface StageChange {
  actor: Actor;
  id: number;
  /** The patch as sent (updateStage checks it). */
  body: unknown;
  /** The If-Match tags (src/http/entity-tag.ts ifMatchTags), compared with the stage's pipeline. */
  ifMatch?: string[];
}

/** The pipeline a stage belongs to, or a 404 naming the stage. */
export function pipelineOfStage(shard: Shard, stageId: number): number {
  const stage = getStage(shard, stageId);
  if (!stage) throw new NotFoundError("stage");
  return stage.pipelineId;
}

/**
 * How many deals a stage change rewrites, cheaply (one indexed count): those in the stage when
 * the patch changes its kind, none otherwise (an unknown stage or a bad patch: none, it is
 * refused wherever it runs).
 */
export function stageChangeReach(shard: Shard, id: number, body: unknown): number {
  const kind = typeof body === "object" && body !== null ? (body as { kind?: unknown }).kind : undefined;
  if (kind === undefined || getStage(shard, id)?.kind === kind) return 0;
  return (shard.statement("SELECT count(*) AS n FROM deals WHERE stage_id = ?").get(id) as { n: number }).n;
}

/** updateStage under the request's If-Match (checked against the stage's pipeline), on whichever thread runs it. */
export function changeStage(shard: Shard, change: StageChange): PipelineWithStages {
  return ifMatchedWrite(
    shard,
    change.ifMatch,
    () => pipelineJson(getPipeline(shard, pipelineOfStage(shard, change.id))),
    () => updateStage(shard, change.actor, change.id, change.body),
  );
}
