import { recordApiRoutes } from "../records/record-api-routes.ts";
import { COMPANY_KIND } from "./company-kind.ts";

/** /api/v1/t/:tenant/companies: the same services the pages use, as JSON. */
export function companyApiRoutes(renderCache: boolean) {
  return recordApiRoutes(COMPANY_KIND, renderCache);
}
