import { type Context, Hono } from "hono";
import { taskProgress, taskProgressPage } from "../../views/background/task-progress.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { idParam, pageContext, pageCsrfToken, wantsFragment } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { getBackgroundTask, requestCancel } from "./background-tasks.ts";
import { runsHere } from "./start-background-task.ts";

/** /background/:id: a background task's progress page (and the fragment htmx polls), and Cancel. */
export function backgroundRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  const props = (c: Context<ViewerEnv>, id: number) => ({
    task: getBackgroundTask(c.var.shard, actorOf(c.var.viewer), id, runsHere(c.var.tenant.id)),
    href: `/t/${c.var.tenant.slug}/background/${id}`,
    nonce: c.var.nonce,
    csrfToken: pageCsrfToken(c, deps),
  });

  app.get("/:id", (c) => {
    const p = props(c, idParam(c));
    if (wantsFragment(c)) return c.html(taskProgress(p).value);
    return c.html(taskProgressPage(pageContext(c, deps), undefined, p).value);
  });

  // Whoever may see a task may cancel it; read-only users start none, so have none of their own.
  app.post("/:id/cancel", (c) => {
    const id = idParam(c);
    requestCancel(c.var.shard, actorOf(c.var.viewer), id, runsHere(c.var.tenant.id));
    if (wantsFragment(c)) return c.html(taskProgress(props(c, id)).value);
    return c.redirect(`/t/${c.var.tenant.slug}/background/${id}`, 303);
  });

  return app;
}
