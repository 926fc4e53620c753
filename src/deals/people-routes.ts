import { Hono } from "hono";
import type { ViewerEnv } from "../http/app-env.ts";
import { formFields, idParam } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { addDealPerson, removeDealPerson } from "./deal-people.ts";
import { getDeal } from "./get-deal.ts";

/** The people on a deal, from its page: add one by email, take one off. Mounted inside dealRoutes. */
export function dealPeopleRoutes() {
  const app = new Hono<ViewerEnv>();

  app.post("/:id/contacts", async (c) => {
    const deal = getDeal(c.var.shard, idParam(c));
    const fields = await formFields(c);
    addDealPerson(c.var.shard, actorOf(c.var.viewer), deal.id, fields.email ?? "");
    return c.redirect(`/t/${c.var.tenant.slug}/deals/${deal.id}`, 303);
  });

  app.post("/:id/contacts/:contactId/delete", (c) => {
    const deal = getDeal(c.var.shard, idParam(c));
    removeDealPerson(c.var.shard, actorOf(c.var.viewer), deal.id, idParam(c, "contactId"));
    return c.redirect(`/t/${c.var.tenant.slug}/deals/${deal.id}`, 303);
  });

  return app;
}
