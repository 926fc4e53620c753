import { type FieldIssue, NotFoundError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import type { Pipeline, Stage } from "./schema.ts";

export type PipelineWithStages = Pipeline & { stages: Stage[] };

const STAGE_COLUMNS = `id, pipeline_id AS pipelineId, name, position, probability, kind, created_at AS createdAt`;

/** Every pipeline with its stages, in order (kept per shard version: every deal page and board asks). Read-only. */
export function listPipelines(shard: Shard): PipelineWithStages[] {
  return versionedCache(shard, "pipelines", "all", 1, () => readPipelines(shard));
}

function readPipelines(shard: Shard): PipelineWithStages[] {
  const pipelines = shard
    .statement(
      "SELECT id, name, position, created_at AS createdAt, updated_at AS updatedAt FROM pipelines ORDER BY position, id",
    )
    .all() as Pipeline[];
  const stages = shard
    .statement(`SELECT ${STAGE_COLUMNS} FROM stages ORDER BY pipeline_id, position, id`)
    .all() as Stage[];
  return pipelines.map((p) => ({ ...p, stages: stages.filter((s) => s.pipelineId === p.id) }));
}

/** A pipeline with its stages as the API answers it. */
export function pipelineJson(p: PipelineWithStages) {
  return {
    id: p.id,
    name: p.name,
    position: p.position,
    stages: p.stages.map((s) => ({
      id: s.id,
      name: s.name,
      position: s.position,
      probability: s.probability,
      kind: s.kind,
    })),
  };
}

/** How many deals each stage holds, by stage id (stages with none are absent): the settings tab's counts. */
export function dealCountsByStage(shard: Shard): Map<number, number> {
  const rows = shard.statement("SELECT stage_id AS id, count(*) AS n FROM deals GROUP BY stage_id").all() as {
    id: number;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.id, r.n]));
}

export function getPipeline(shard: Shard, id: number): PipelineWithStages {
  const pipeline = listPipelines(shard).find((p) => p.id === id);
  if (!pipeline) throw new NotFoundError("pipeline");
  return pipeline;
}

export function getStage(shard: Shard, id: number): Stage | undefined {
  return (
    (shard.statement(`SELECT ${STAGE_COLUMNS} FROM stages WHERE id = ?`).get(id) as Stage | null) ?? undefined
  );
}

/** An issue on `stageId` unless `stageId` is a stage of `pipelineId` in this workspace. */
export function stageIssue(stage: Stage | undefined, pipelineId: number, field = "stageId"): FieldIssue[] {
  if (!stage) return [{ field, message: "is not a stage of this workspace" }];
  if (stage.pipelineId !== pipelineId) return [{ field, message: "belongs to another pipeline" }];
  return [];
}

/** The pipeline new deals go to when none is named: the first one. */
export function defaultPipeline(shard: Shard): PipelineWithStages {
  const first = listPipelines(shard)[0];
  if (!first) throw new NotFoundError("pipeline (create one in Settings → Pipelines)");
  return first;
}

/** The workspace's currency for new deals (Settings), USD until changed. */
export function workspaceCurrency(shard: Shard): string {
  const row = shard.statement("SELECT value FROM workspace_settings WHERE key = 'currency'").get() as {
    value: string;
  } | null;
  return row?.value ?? "USD";
}
