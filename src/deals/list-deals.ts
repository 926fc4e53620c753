import type { z } from "zod";
import { z as zod } from "zod";
import { companyNameSearch } from "../companies/list-companies.ts";
import type { SortSpec } from "../lists/keyset.ts";
import { optionalParam, positiveId } from "../lists/list-params.ts";
import type { ListPage } from "../lists/page.ts";
import { type Filter, recordListParams } from "../lists/record-filter.ts";
import { STAGE_KINDS } from "../pipelines/schema.ts";
import { externalIdParam } from "../records/external-id.ts";
import { countRecords, listRecords, tableFilter } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { DEAL_TABLE, type DealRecord } from "./deal-record.ts";

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
  externalId: optionalParam(externalIdParam),
});

export type DealListParams = z.output<typeof dealListParams>;

export function dealFilter(shard: Shard, params: DealListParams): Filter {
  const where: Filter = { conditions: [], params: [] };
  const exact: [keyof DealListParams, string][] = [
    ["pipelineId", "d.pipeline_id = ?"],
    ["stageId", "d.stage_id = ?"],
    ["status", "d.status = ?"],
    ["companyId", "d.company_id = ?"],
    ["contactId", "d.id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = ?)"],
    ["externalId", "d.external_id = ?"],
  ];
  for (const [name, condition] of exact) {
    const value = params[name];
    if (value !== undefined) {
      where.conditions.push(condition);
      where.params.push(value as string | number);
    }
  }
  return tableFilter(shard, DEAL_TABLE, params, where, companyNameSearch("d"));
}

/** One page of deals, keyset-paginated. */
export function listDeals(shard: Shard, params: DealListParams): ListPage<DealRecord> {
  return listRecords(shard, DEAL_TABLE, DEAL_SORTS, dealFilter(shard, params), params);
}

export function countDeals(shard: Shard, params: DealListParams, upTo?: number): number {
  return countRecords(shard, DEAL_TABLE, dealFilter(shard, params), upTo);
}
