import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { adminOnly } from "../http/role-guards.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { parseListParams } from "../lists/list-params.ts";
import {
  checkNewWebhook,
  deleteWebhook,
  insertWebhook,
  rotateWebhookSecret,
  updateWebhook,
} from "./manage-webhooks.ts";
import { deliveryJson, getWebhook, listDeliveries, listWebhooks, webhookJson } from "./subscriptions.ts";
import { syncWebhookWorkspace } from "./webhook-workspaces.ts";

/**
 * /api/v1/t/:tenant/webhooks: subscriptions and their delivery logs, for owner and admin keys
 * only (reads too: a subscription says where the workspace's data goes). The secret is in the
 * answer to a create and a rotation, never again.
 */
export function webhookApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(adminOnly);
  const policy = deps.config.webhooks;

  app.get("/", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    return c.json({ data: listWebhooks(c.var.shard).map(webhookJson), nextCursor: null });
  });
  app.post("/", async (c) => {
    const input = await checkNewWebhook(actorOf(c.var.viewer), await readJsonObject(c), policy);
    const answer = answerOnce(c, 201, () => {
      const { subscription, secret } = insertWebhook(c.var.shard, input);
      return {
        json: { ...webhookJson(subscription), secret },
        location: `/api/v1/t/${c.var.tenant.slug}/webhooks/${subscription.id}`,
      };
    });
    syncWebhookWorkspace(deps.catalog, c.var.shard);
    return answer;
  });
  app.get("/:id", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    return c.json(webhookJson(getWebhook(c.var.shard, idParam(c))));
  });
  app.patch("/:id", async (c) => {
    const body = await readJsonObject(c);
    const updated = await updateWebhook(c.var.shard, actorOf(c.var.viewer), idParam(c), body, policy);
    syncWebhookWorkspace(deps.catalog, c.var.shard);
    return c.json(webhookJson(updated));
  });
  app.delete("/:id", (c) => {
    deleteWebhook(c.var.shard, actorOf(c.var.viewer), idParam(c));
    syncWebhookWorkspace(deps.catalog, c.var.shard);
    return c.body(null, 204);
  });
  app.post("/:id/secret", (c) => {
    const id = idParam(c);
    return answerOnce(c, 200, () => {
      const secret = rotateWebhookSecret(c.var.shard, actorOf(c.var.viewer), id);
      return { json: { ...webhookJson(getWebhook(c.var.shard, id)), secret } };
    });
  });
  // The whole kept log (DELIVERY_LOG_KEEP attempts at most) on one page, so nothing is cut off.
  app.get("/:id/deliveries", (c) => {
    parseListParams(z.object({}), c.req.query(), true);
    const sub = getWebhook(c.var.shard, idParam(c));
    return c.json({ data: listDeliveries(c.var.shard, sub.id).map(deliveryJson), nextCursor: null });
  });
  return app;
}
