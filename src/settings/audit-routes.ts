import { Hono } from "hono";
import { auditPage } from "../../views/settings/audit-page.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";
import { viewerClock } from "../http/viewer-clock.ts";
import { actorOf } from "../identity/viewer.ts";
import { workspaceLog } from "../interactions/timeline.ts";

/** Settings → Audit log: the workspace-wide history, for owners and admins (workspaceLog checks). */
export function auditRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.get("/", adminOnly, (c) => {
    const before = Number(c.req.query("before"));
    const everything = c.req.query("all") === "1";
    const log = workspaceLog(c.var.shard, actorOf(c.var.viewer), {
      before: Number.isSafeInteger(before) && before > 0 ? before : undefined,
      changesOnly: !everything,
      limit: 50,
    });
    return c.html(
      auditPage(pageContext(c, deps), `/t/${c.var.tenant.slug}`, log, everything, viewerClock(c, deps)).value,
    );
  });
  return app;
}
