import type { z } from "zod";
import { z as zod } from "zod";
import { listSort, withCustomFilter } from "../custom-fields/custom-list.ts";
import { defaultOrder, type SortSpec } from "../lists/keyset.ts";
import { countRows, keysetQuery } from "../lists/keyset-query.ts";
import { optionalParam, positiveId } from "../lists/list-params.ts";
import type { ListPage } from "../lists/page.ts";
import { type Filter, recordFilter, recordListParams } from "../lists/record-filter.ts";
import { STAGE_KINDS } from "../pipelines/schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import { DEAL_COLUMNS, DEAL_JOINS, type DealRecord, type DealRow, toDealRecord } from "./deal-record.ts";

/** The sorts a deal list allows. Each has an index ending in id (see schema.ts). */
export const DEAL_SORTS = {
  createdAt: { columns: ["d.created_at", "d.id"], keyOf: (r) => [r.createdAt as number, r.id as number] },
  updatedAt: { columns: ["d.updated_at", "d.id"], keyOf: (r) => [r.updatedAt as number, r.id as number] },
  name: { columns: ["d.title", "d.id"], keyOf: (r) => [r.title as string, r.id as number] },
  amount: { columns: ["d.amount_cents", "d.id"], keyOf: (r) => [r.amountCents as number, r.id as number] },
} satisfies Record<string, SortSpec>;

/** The contacts filters, plus where a deal is: pipeline, stage, status, company, person. */
export const dealListParams = recordListParams(DEAL_SORTS).extend({
  pipelineId: optionalParam(positiveId),
  stageId: optionalParam(positiveId),
  status: optionalParam(zod.enum(STAGE_KINDS, "must be open, won or lost")),
  companyId: optionalParam(positiveId),
  contactId: optionalParam(positiveId),
});

export type DealListParams = z.output<typeof dealListParams>;

const TABLES = { alias: "d", fts: "deals_fts", tagLinks: "deal_tags", tagColumn: "deal_id" };

export function dealFilter(shard: Shard, params: DealListParams): Filter {
  const filter = recordFilter(TABLES, params, (fts) => ({
    conditions: ["d.company_id IN (SELECT rowid FROM companies_fts WHERE companies_fts MATCH ?)"],
    params: [fts],
  }));
  const exact: [keyof DealListParams, string][] = [
    ["pipelineId", "d.pipeline_id = ?"],
    ["stageId", "d.stage_id = ?"],
    ["status", "d.status = ?"],
    ["companyId", "d.company_id = ?"],
    ["contactId", "d.id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = ?)"],
  ];
  for (const [name, condition] of exact) {
    const value = params[name];
    if (value !== undefined) {
      filter.conditions.push(condition);
      filter.params.push(value as string | number);
    }
  }
  return withCustomFilter(shard, "deal", "d", filter, params.cf);
}

/** One page of deals, keyset-paginated. */
export function listDeals(shard: Shard, params: DealListParams): ListPage<DealRecord> {
  const sort = params.sort ?? "createdAt";
  const { spec, select } = listSort(shard, "deal", "d", DEAL_SORTS, sort);
  const page = keysetQuery<DealRow>(shard, {
    select: `SELECT ${DEAL_COLUMNS}${select} FROM deals d ${DEAL_JOINS}`,
    filter: dealFilter(shard, params),
    spec,
    sort,
    order: params.order ?? defaultOrder(sort),
    cursor: params.cursor,
    limit: params.limit,
  });
  return { ...page, rows: page.rows.map(toDealRecord) };
}

export function countDeals(shard: Shard, params: DealListParams): number {
  return countRows(shard, "deals d", dealFilter(shard, params));
}
