import { type Context, Hono } from "hono";
import { refusedPage } from "../../views/components/refused-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { type FormRefusal, writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { hasRole } from "../identity/roles.ts";
import type { Viewer } from "../identity/viewer.ts";
import { createView, deleteView, listViews } from "./saved-views.ts";
import { VIEW_LISTS, type ViewList, viewInput } from "./view-input.ts";

type C = Context<ViewerEnv>;
type UserViewer = Extract<Viewer, { kind: "user" }>;

/**
 * POST /t/:tenant/views (save the list as it is) and /views/:id/delete. Anyone signed in may
 * keep views of their own, read-only users included: a view changes no business data. Sharing
 * one with the workspace takes the member role.
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
    const viewer = c.var.viewer as UserViewer;
    const fields = await formFields(c);
    // A query naming a filter the list does not have is refused like a broken rule (400).
    const created = writeFromForm(
      fields,
      () => {
        const input = parseOrThrow(viewInput, fields);
        const id = createView(c.var.shard, viewer.id, {
          ...input,
          shared: input.shared && hasRole(viewer.role, "member"),
        });
        return { list: input.list, id };
      },
      { badRequests: true },
    );
    if (!created.ok) return refused(c, created, fields.list ?? "");
    const { list, id } = created.value;
    const saved = listViews(c.var.shard, viewer.id, list).find((v) => v.id === id);
    return c.redirect(`${base(c)}/${list}${saved?.href ?? ""}`, 303);
  });

  app.post("/:id/delete", (c) => {
    const list = deleteView(c.var.shard, c.var.viewer as UserViewer, idParam(c));
    return c.redirect(`${base(c)}/${list}`, 303);
  });

  return app;
}
