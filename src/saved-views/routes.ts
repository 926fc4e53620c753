import { type Context, Hono } from "hono";
import { refusedPage } from "../../views/components/refused-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { type FormRefusal, writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { createView, deleteView, listViews } from "./saved-views.ts";
import { VIEW_LISTS, type ViewList, viewInput } from "./view-input.ts";

type C = Context<ViewerEnv>;

/**
 * POST /t/:tenant/views (save the list as it is) and /views/:id/delete, for anyone signed in;
 * who may share or delete which view is the service's rule (saved-views.ts).
 */
export function savedViewRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);
  const base = (c: C) => `/t/${c.var.tenant.slug}`;

  const refused = (c: C, { problems, status }: FormRefusal, list: string) => {
    const nav = (VIEW_LISTS as readonly string[]).includes(list) ? (list as ViewList) : "contacts";
    return c.html(
      refusedPage({ ctx: pageContext(c, deps), nav, problems, backHref: `${base(c)}/${nav}` }).value,
      status,
    );
  };

  app.post("/", async (c) => {
    const actor = actorOf(c.var.viewer);
    const fields = await formFields(c);
    // A query naming a filter the list does not have is refused like a broken rule (400).
    const created = writeFromForm(
      fields,
      () => {
        const input = parseOrThrow(viewInput, fields);
        return { list: input.list, id: createView(c.var.shard, actor, input) };
      },
      { badRequests: true },
    );
    if (!created.ok) return refused(c, created, fields.list ?? "");
    const { list, id } = created.value;
    const saved = listViews(c.var.shard, c.var.viewer.id, list).find((v) => v.id === id);
    return c.redirect(`${base(c)}/${list}${saved?.href ?? ""}`, 303);
  });

  app.post("/:id/delete", (c) => {
    const list = deleteView(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.redirect(`${base(c)}/${list}`, 303);
  });

  return app;
}
