import { Hono } from "hono";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { recordApiRoutes } from "../records/record-api-routes.ts";
import { oneContactJson } from "./contact-json.ts";
import { CONTACT_KIND } from "./contact-kind.ts";
import { getContact } from "./get-contact.ts";

/**
 * /api/v1/t/:tenant/contacts: the same services the pages use, as JSON. Getting one contact
 * also answers its `engagement` (oneContactJson); lists do not.
 */
export function contactApiRoutes(renderCache: boolean) {
  const app = new Hono<ViewerEnv>();
  app.get("/:id", (c) => c.json(oneContactJson(c.var.shard, getContact(c.var.shard, idParam(c)))));
  app.route("/", recordApiRoutes(CONTACT_KIND, renderCache));
  return app;
}
