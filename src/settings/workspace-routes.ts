import { type Context, Hono } from "hono";
import { EMPTY_FORM, type FormState } from "../../views/components/form-field.ts";
import { workspacePage } from "../../views/settings/workspace-page.ts";
import { setWorkspaceTimeZone, workspaceTimeZone } from "../analytics/workspace-time-zone.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";
import { actorOf } from "../identity/viewer.ts";
import { setWorkspaceMoney, WORKSPACE_LOCALES, workspaceMoney } from "./workspace-money.ts";

const ZONES = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];
const CURRENCIES = Intl.supportedValuesOf("currency");

type Saved = "zone" | "money" | undefined;

/** Settings → Workspace (/settings/workspace): the time zone, and the currency and locale of amounts, for owners and admins. */
export function workspaceSettingsRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  const render = (
    c: Context<ViewerEnv>,
    forms: { zone?: FormState; money?: FormState },
    status: 200 | 422,
    saved?: Saved,
  ) =>
    c.html(
      workspacePage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        timeZone: workspaceTimeZone(c.var.shard),
        money: workspaceMoney(c.var.shard),
        form: forms.zone ?? EMPTY_FORM,
        moneyForm: forms.money ?? EMPTY_FORM,
        zones: ZONES,
        currencies: CURRENCIES,
        locales: WORKSPACE_LOCALES,
        saved: saved === "zone",
        moneySaved: saved === "money",
      }).value,
      status,
    );

  app.get("/", adminOnly, (c) => {
    const saved = c.req.query("saved");
    return render(c, {}, 200, saved === "1" ? "zone" : saved === "money" ? "money" : undefined);
  });
  app.post("/", adminOnly, async (c) => {
    const fields = await formFields(c);
    const values = { timeZone: (fields.timeZone ?? "").slice(0, 200) };
    const done = writeFromForm(values, () =>
      setWorkspaceTimeZone(c.var.shard, actorOf(c.var.viewer), fields),
    );
    if (!done.ok) return render(c, { zone: done.form }, 422);
    return c.redirect(`/t/${c.var.tenant.slug}/settings/workspace?saved=1`, 303);
  });
  app.post("/money", adminOnly, async (c) => {
    const fields = await formFields(c);
    const values = {
      currency: (fields.currency ?? "").slice(0, 20),
      locale: (fields.locale ?? "").slice(0, 20),
    };
    const done = writeFromForm(values, () => setWorkspaceMoney(c.var.shard, actorOf(c.var.viewer), fields));
    if (!done.ok) return render(c, { money: done.form }, 422);
    return c.redirect(`/t/${c.var.tenant.slug}/settings/workspace?saved=money`, 303);
  });
  return app;
}
