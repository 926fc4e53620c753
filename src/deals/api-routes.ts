import { resourceApiRoutes } from "../records/resource-api-routes.ts";
import type { Shard } from "../tenancy/shard.ts";
import { createDeal } from "./create-deal.ts";
import { dealCreateInput, dealPatchInput } from "./deal-input.ts";
import { dealJson } from "./deal-record.ts";
import { deleteDeal } from "./delete-deal.ts";
import { dealContactIds, getDealWithContacts } from "./get-deal.ts";
import { dealListParams, listDeals } from "./list-deals.ts";
import { updateDeal } from "./update-deal.ts";

/** /api/v1/t/:tenant/deals: like contacts; `stageId` in a PATCH moves the deal (same pipeline only). */
export function dealApiRoutes(renderCache: boolean) {
  const withContacts = (shard: Shard, deal: { id: number }) => getDealWithContacts(shard, deal.id);
  return resourceApiRoutes(
    {
      path: "deals",
      listParams: dealListParams,
      list: (shard, params) => {
        const page = listDeals(shard, params);
        return { ...page, rows: page.rows.map((d) => ({ ...d, contactIds: dealContactIds(shard, d.id) })) };
      },
      get: getDealWithContacts,
      createInput: dealCreateInput,
      create: (shard, actor, input) => withContacts(shard, createDeal(shard, actor, input)),
      patchInput: dealPatchInput,
      update: (shard, actor, id, patch) => withContacts(shard, updateDeal(shard, actor, id, patch)),
      remove: deleteDeal,
      json: dealJson,
      entity: "deal",
    },
    renderCache,
  );
}
