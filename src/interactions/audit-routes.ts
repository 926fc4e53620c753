import { Hono } from "hono";
import { auditPage } from "../../views/settings/audit-page.ts";
import { requireRole } from "../auth/roles.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import type { AppDeps, ViewerEnv } from "../server/app-env.ts";
import { pageContext } from "../server/page-context.ts";
import { workspaceLog } from "./timeline.ts";

/** Settings → Audit log: the workspace-wide history, for owners and admins. */
export function auditRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);
  app.get("/", (c) => {
    requireRole(c.var.viewer.role, "admin");
    const before = Number(c.req.query("before"));
    const everything = c.req.query("all") === "1";
    const log = workspaceLog(c.var.shard, {
      before: Number.isSafeInteger(before) && before > 0 ? before : undefined,
      changesOnly: !everything,
      limit: 50,
    });
    return c.html(auditPage(pageContext(c, deps), `/t/${c.var.tenant.slug}`, log, everything).value);
  });
  return app;
}
