import { type Context, Hono } from "hono";
import type { FormState } from "../../views/components/form-field.ts";
import { workspacePage } from "../../views/settings/workspace-page.ts";
import { setWorkspaceTimeZone, workspaceTimeZone } from "../analytics/workspace-time-zone.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";
import { actorOf } from "../identity/viewer.ts";

const ZONES = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];

/** Settings → Workspace (/settings/workspace): the workspace's time zone, for owners and admins. */
export function workspaceSettingsRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  const render = (c: Context<ViewerEnv>, form: FormState, status: 200 | 422, saved = false) =>
    c.html(
      workspacePage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        timeZone: workspaceTimeZone(c.var.shard),
        form,
        zones: ZONES,
        saved,
      }).value,
      status,
    );

  app.get("/", adminOnly, (c) => render(c, { values: {}, errors: {} }, 200, c.req.query("saved") === "1"));
  app.post("/", adminOnly, async (c) => {
    const fields = await formFields(c);
    const values = { timeZone: (fields.timeZone ?? "").slice(0, 200) };
    const done = writeFromForm(values, () =>
      setWorkspaceTimeZone(c.var.shard, actorOf(c.var.viewer), fields),
    );
    if (!done.ok) return render(c, done.form, 422);
    return c.redirect(`/t/${c.var.tenant.slug}/settings/workspace?saved=1`, 303);
  });
  return app;
}
