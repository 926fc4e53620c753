import { Hono } from "hono";
import type { ViewerEnv } from "../http/app-env.ts";
import { recordApiRoutes } from "../records/record-api-routes.ts";
import { CONTACT_KIND } from "./contact-kind.ts";

/**
 * /api/v1/t/:tenant/contacts: the same services the pages use, as JSON. One contact answered
 * alone (get, create, update) also has its `engagement` (the kind's `api.alone`); lists do not.
 */
export function contactApiRoutes(renderCache: boolean) {
  const app = new Hono<ViewerEnv>();
  app.route("/", recordApiRoutes(CONTACT_KIND, renderCache));
  return app;
}
