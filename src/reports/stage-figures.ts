import type { Shard } from "../tenancy/shard.ts";
import type { Amount, StageFigures } from "./report-types.ts";

/** One stage's deals in one currency, as the report queries read them. */
export interface StageCurrencyRow {
  stageId: number;
  pipelineId: number;
  pipeline: string;
  stage: string;
  probability: number;
  currency: string | null;
  deals: number;
  amountCents: number | null;
}

/** A stage's amount weighted by its probability, in whole minor units. */
export function weighted(amountCents: number, probability: number): number {
  return Math.round((amountCents * probability) / 100);
}

/** Per currency, most deals first (then by code). */
export function byDeals(a: Amount, b: Amount): number {
  return b.deals - a.deals || a.currency.localeCompare(b.currency);
}

/**
 * Rows per stage and currency (in stage order; a stage without deals has one row, currency
 * null) folded into one entry per stage with its amounts per currency.
 */
export function foldStages(rows: StageCurrencyRow[]): StageFigures[] {
  const stages = new Map<number, StageFigures>();
  for (const row of rows) {
    let stage = stages.get(row.stageId);
    if (!stage) {
      stage = {
        pipelineId: row.pipelineId,
        pipeline: row.pipeline,
        stageId: row.stageId,
        stage: row.stage,
        probability: row.probability,
        deals: 0,
        amounts: [],
      };
      stages.set(row.stageId, stage);
    }
    if (row.currency === null || row.deals === 0) continue;
    stage.deals += row.deals;
    const amountCents = row.amountCents ?? 0;
    stage.amounts.push({
      currency: row.currency,
      deals: row.deals,
      amountCents,
      weightedCents: weighted(amountCents, row.probability),
    });
  }
  const folded = [...stages.values()];
  for (const stage of folded) stage.amounts.sort(byDeals);
  return folded;
}

/** Amounts added up per currency, most deals first. */
export function totalAmounts(stages: StageFigures[]): Amount[] {
  const totals = new Map<string, Amount>();
  for (const stage of stages)
    for (const a of stage.amounts) {
      const total = totals.get(a.currency) ?? {
        currency: a.currency,
        deals: 0,
        amountCents: 0,
        weightedCents: 0,
      };
      total.deals += a.deals;
      total.amountCents += a.amountCents;
      total.weightedCents += a.weightedCents;
      totals.set(a.currency, total);
    }
  return [...totals.values()].sort(byDeals);
}

/** Every user's name by id, for labelling owners (read once per task: a workspace has few users). */
export function userNames(shard: Shard): Map<number, string> {
  const rows = shard.statement("SELECT id, name FROM users").all() as { id: number; name: string }[];
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** The label of an owner id: the user's name, "No owner" for none, or the id of a user since removed. */
export function ownerLabel(names: Map<number, string>, id: number | null, none = "No owner"): string {
  if (id === null) return none;
  return names.get(id) ?? `Former user #${id}`;
}
