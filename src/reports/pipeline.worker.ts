import type { TaskHandler } from "../workers/task-types.ts";
import type { OwnerParams, PipelineFigures } from "./report-types.ts";
import { foldStages, type StageCurrencyRow } from "./stage-figures.ts";

const STAGES = `SELECT s.id AS stageId, p.id AS pipelineId, p.name AS pipeline, s.name AS stage,
    s.probability AS probability, d.currency AS currency, count(d.id) AS deals, sum(d.amount_cents) AS amountCents
  FROM stages s
  JOIN pipelines p ON p.id = s.pipeline_id
  LEFT JOIN deals d ON d.stage_id = s.id AND d.status = 'open'`;
const ORDER = "GROUP BY s.id, d.currency ORDER BY p.position, p.id, s.position, s.id";

/**
 * Pipeline by stage: the deals open now in each open stage of every pipeline, their count
 * and sum per currency and the sum weighted by the stage's probability. A snapshot: the date
 * range does not apply; the owner filter does.
 */
const pipelineReport: TaskHandler<OwnerParams, PipelineFigures> = ({ params }, context) => {
  const shard = context.shard("read");
  const rows = (
    params.ownerId === null
      ? shard.statement(`${STAGES} WHERE s.kind = 'open' ${ORDER}`).all()
      : shard.statement(`${STAGES} AND d.owner_id = ? WHERE s.kind = 'open' ${ORDER}`).all(params.ownerId)
  ) as StageCurrencyRow[];
  return { stages: foldStages(rows) };
};

export default pipelineReport;
