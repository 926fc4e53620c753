import { Hono } from "hono";
import type { ViewerEnv } from "../http/app-env.ts";
import { recordApiRoutes } from "../records/record-api-routes.ts";
import { recordBatchRoutes } from "../records/record-batch-routes.ts";
import { COMPANY_KIND } from "./company-kind.ts";

/** /api/v1/t/:tenant/companies: the same services the pages use, as JSON. */
export function companyApiRoutes(renderCache: boolean) {
  return new Hono<ViewerEnv>()
    .route("/", recordBatchRoutes(COMPANY_KIND))
    .route("/", recordApiRoutes(COMPANY_KIND, renderCache));
}
