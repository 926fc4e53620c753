import { Hono } from "hono";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { recordApiRoutes } from "../records/record-api-routes.ts";
import { recordsJson } from "../records/record-json.ts";
import { contactEngagement, engagementJson } from "./contact-engagement.ts";
import { CONTACT_KIND } from "./contact-kind.ts";
import { getContact } from "./get-contact.ts";

/**
 * /api/v1/t/:tenant/contacts: the same services the pages use, as JSON. Getting one contact
 * also answers its `engagement` (a few rows of contact_engagement's primary key); lists do not.
 */
export function contactApiRoutes(renderCache: boolean) {
  const app = new Hono<ViewerEnv>();
  app.get("/:id", (c) => {
    const contact = getContact(c.var.shard, idParam(c));
    const [json] = recordsJson(c.var.shard, CONTACT_KIND, [contact]);
    return c.json({ ...json, engagement: engagementJson(contactEngagement(c.var.shard, contact.id)) });
  });
  app.route("/", recordApiRoutes(CONTACT_KIND, renderCache));
  return app;
}
