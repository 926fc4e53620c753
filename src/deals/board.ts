import { NotFoundError } from "../core/errors.ts";
import { getPipeline, listPipelines, type PipelineWithStages } from "../pipelines/pipelines.ts";
import type { Stage } from "../pipelines/schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import { DEAL_COLUMNS, DEAL_JOINS, type DealRecord, type DealRow, toDealRecord } from "./deal-record.ts";

/** What a stage's column shows: how many deals, their sums per currency, and the newest cards. */
export interface BoardColumn {
  stage: Stage;
  count: number;
  /** Sum of amounts per currency (minor units), largest first. */
  sums: { currency: string; cents: number }[];
  /** The sums weighted by the stage's probability: the forecast. */
  weighted: { currency: string; cents: number }[];
  deals: DealRecord[];
  /** More deals than shown. */
  more: boolean;
}

export interface Board {
  pipeline: PipelineWithStages;
  columns: BoardColumn[];
}

/**
 * A pipeline as a kanban board. Counts and sums come from stage_totals, which triggers keep in
 * the same transaction as every change to a deal (aggregating 30,000 deals per board took
 * ~5 ms); each column lists its `perColumn` most recently moved deals.
 */
export function pipelineBoard(shard: Shard, pipelineId: number, perColumn = 20): Board {
  const pipeline = getPipeline(shard, pipelineId);
  const totals = shard
    .statement(
      `SELECT stage_id AS stageId, currency, deals AS n, amount_cents AS cents FROM stage_totals
       WHERE stage_id IN (SELECT id FROM stages WHERE pipeline_id = ?)`,
    )
    .all(pipelineId) as { stageId: number; currency: string; n: number; cents: number }[];
  const cards = shard.statement(
    `SELECT ${DEAL_COLUMNS} FROM deals d ${DEAL_JOINS} WHERE d.stage_id = ?
     ORDER BY d.stage_entered_at DESC, d.id DESC LIMIT ?`,
  );
  const columns = pipeline.stages.map((stage) => {
    const mine = totals.filter((t) => t.stageId === stage.id).sort((a, b) => b.cents - a.cents);
    const count = mine.reduce((n, t) => n + t.n, 0);
    const rows = (cards.all(stage.id, perColumn) as DealRow[]).map(toDealRecord);
    return {
      stage,
      count,
      sums: mine.map((t) => ({ currency: t.currency, cents: t.cents })),
      weighted: mine.map((t) => ({
        currency: t.currency,
        cents: Math.round((t.cents * stage.probability) / 100),
      })),
      deals: rows,
      more: count > rows.length,
    };
  });
  return { pipeline, columns };
}

/** The pipelines a board can show, and the one asked for (else the first); a 404 when there are none. */
export function boardPipelines(
  shard: Shard,
  wanted: number,
): { pipelines: PipelineWithStages[]; current: PipelineWithStages } {
  const pipelines = listPipelines(shard);
  const current = pipelines.find((p) => p.id === wanted) ?? pipelines[0];
  if (!current) throw new NotFoundError("pipeline");
  return { pipelines, current };
}
