import { recordApiRoutes } from "../records/record-api-routes.ts";
import { DEAL_KIND } from "./deal-kind.ts";

/** /api/v1/t/:tenant/deals: the same services the pages use, as JSON. Their people are `contactIds`; `stageId` in a PATCH moves a deal (same pipeline only). */
export function dealApiRoutes(renderCache: boolean) {
  return recordApiRoutes(DEAL_KIND, renderCache);
}
