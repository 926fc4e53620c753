import { type Context, Hono } from "hono";
import type { FormState } from "../../views/components/form-field.ts";
import { webhookPage } from "../../views/settings/webhook-page.ts";
import { type WebhooksPageProps, webhooksPage, webhooksSection } from "../../views/settings/webhooks-page.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext, wantsFragment } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";
import { actorOf } from "../identity/viewer.ts";
import { patternsFromText } from "../webhooks/event-patterns.ts";
import {
  createWebhook,
  deleteWebhook,
  rotateWebhookSecret,
  updateWebhook,
} from "../webhooks/manage-webhooks.ts";
import {
  getWebhook,
  listDeliveries,
  listWebhooks,
  type WebhookSubscription,
} from "../webhooks/subscriptions.ts";
import { syncWebhookWorkspace } from "../webhooks/webhook-workspaces.ts";

type C = Context<ViewerEnv>;

const EMPTY: FormState = { values: {}, errors: {} };

/** A form's fields as the services take them (the API's JSON shape). */
function webhookFields(fields: Record<string, string>) {
  return {
    ...(fields.url === undefined ? {} : { url: fields.url }),
    ...(fields.events === undefined ? {} : { events: patternsFromText(fields.events) }),
    ...(fields.enabled === undefined ? {} : { enabled: fields.enabled === "1" }),
  };
}

function editForm(w: WebhookSubscription): FormState {
  return { values: { url: w.url, events: w.events.join(", "), enabled: w.enabled ? "1" : "0" }, errors: {} };
}

/**
 * Settings → Webhooks (/settings/webhooks), owners and admins only, viewing included (a
 * subscription says where the workspace's data goes). Works as plain forms (303 back to the
 * tab; 201 with a new secret); with htmx, a form on the tab gets the tab's section back.
 */
export function webhookSettingsRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(adminOnly);
  const policy = deps.config.webhooks;
  const base = (c: C) => `/t/${c.var.tenant.slug}`;
  const actor = (c: C) => actorOf(c.var.viewer);

  const renderList = (c: C, status: 200 | 201 | 422, extra: Partial<WebhooksPageProps> = {}) => {
    const props: WebhooksPageProps = {
      ctx: pageContext(c, deps),
      base: base(c),
      webhooks: listWebhooks(c.var.shard),
      form: EMPTY,
      ...extra,
    };
    return c.html((wantsFragment(c) ? webhooksSection(props) : webhooksPage(props)).value, status);
  };

  /** Runs a change from the tab; a broken rule is shown with a 422, `show` a secret with a 201. */
  const change = async <T>(
    c: C,
    write: (fields: Record<string, string>) => Promise<T> | T,
    show?: (made: T) => WebhooksPageProps["secret"],
  ) => {
    const fields = await formFields(c);
    const done = await writeFromForm(fields, async () => write(fields));
    if (!done.ok) return renderList(c, 422, { problem: done.problems.join("; "), form: done.form });
    syncWebhookWorkspace(deps.catalog, c.var.shard);
    if (show) return renderList(c, 201, { secret: show(done.value) });
    if (wantsFragment(c)) return renderList(c, 200);
    return c.redirect(`${base(c)}/settings/webhooks`, 303);
  };

  app.get("/", (c) => renderList(c, 200));
  app.post("/", (c) =>
    change(
      c,
      (f) => createWebhook(c.var.shard, actor(c), { ...webhookFields(f), enabled: true }, policy),
      (made) => ({ url: made.subscription.url, value: made.secret }),
    ),
  );
  app.post("/:id/secret", (c) =>
    change(
      c,
      () => rotateWebhookSecret(c.var.shard, actor(c), idParam(c)),
      (secret) => ({ url: getWebhook(c.var.shard, idParam(c)).url, value: secret }),
    ),
  );
  app.post("/:id/enable", (c) =>
    change(c, () => updateWebhook(c.var.shard, actor(c), idParam(c), { enabled: true }, policy)),
  );
  app.post("/:id/delete", (c) => change(c, () => deleteWebhook(c.var.shard, actor(c), idParam(c))));

  const renderOne = (c: C, status: 200 | 422, form?: FormState, problem?: string) => {
    const webhook = getWebhook(c.var.shard, idParam(c));
    return c.html(
      webhookPage({
        ctx: pageContext(c, deps),
        base: base(c),
        webhook,
        deliveries: listDeliveries(c.var.shard, webhook.id),
        form: form ?? editForm(webhook),
        problem,
      }).value,
      status,
    );
  };
  app.get("/:id", (c) => renderOne(c, 200));
  app.post("/:id", async (c) => {
    const fields = await formFields(c);
    const done = await writeFromForm(fields, () =>
      updateWebhook(c.var.shard, actor(c), idParam(c), webhookFields(fields), policy),
    );
    if (!done.ok) return renderOne(c, 422, done.form, done.problems.join("; "));
    syncWebhookWorkspace(deps.catalog, c.var.shard);
    return c.redirect(`${base(c)}/settings/webhooks/${done.value.id}`, 303);
  });
  return app;
}
