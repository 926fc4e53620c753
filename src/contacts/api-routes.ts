import { recordApiRoutes } from "../records/record-api-routes.ts";
import { CONTACT_KIND } from "./contact-kind.ts";

/** /api/v1/t/:tenant/contacts: the same services the pages use, as JSON. */
export function contactApiRoutes(renderCache: boolean) {
  return recordApiRoutes(CONTACT_KIND, renderCache);
}
