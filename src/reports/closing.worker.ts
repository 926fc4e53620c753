import type { TaskHandler } from "../workers/task-types.ts";
import type { ClosingFigures, ClosingParams } from "./report-types.ts";
import { foldStages, type StageCurrencyRow, totalAmounts } from "./stage-figures.ts";
import { quarterOf } from "./zone-calendar.ts";

/**
 * Deals closing this quarter and next: the open deals whose expected close day falls in the
 * quarter of the viewer's today or the one after, per stage, with their sums and forecasts per
 * currency. A deal expected earlier this quarter and still open counts for this quarter.
 */
const closingReport: TaskHandler<ClosingParams, ClosingFigures> = ({ params }, context) => {
  const shard = context.shard("read");
  const quarters = [quarterOf(params.today), quarterOf(params.today, 1)] as const;
  const owner = params.ownerId === null ? [] : [params.ownerId];
  const rows = shard
    .statement(
      `SELECT CASE WHEN d.expected_close_on <= ? THEN 0 ELSE 1 END AS q, s.id AS stageId, p.id AS pipelineId,
          p.name AS pipeline, s.name AS stage, s.probability AS probability, d.currency AS currency,
          count(*) AS deals, sum(d.amount_cents) AS amountCents
        FROM deals d
        JOIN stages s ON s.id = d.stage_id
        JOIN pipelines p ON p.id = s.pipeline_id
        WHERE d.status = 'open' AND d.expected_close_on >= ? AND d.expected_close_on <= ?${owner.length ? " AND d.owner_id = ?" : ""}
        GROUP BY q, s.id, d.currency
        ORDER BY q, p.position, p.id, s.position, s.id`,
    )
    .all(quarters[0].to, quarters[0].from, quarters[1].to, ...owner) as (StageCurrencyRow & { q: number })[];
  return {
    quarters: quarters.map((quarter, q) => {
      const stages = foldStages(rows.filter((r) => r.q === q));
      return {
        quarter: quarter.key,
        from: quarter.from,
        to: quarter.to,
        deals: stages.reduce((n, s) => n + s.deals, 0),
        amounts: totalAmounts(stages),
        stages,
      };
    }),
  };
};

export default closingReport;
