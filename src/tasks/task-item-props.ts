import type { Context } from "hono";
import type { TaskItemContext } from "../../views/tasks/task-item.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { hasRole } from "../identity/roles.ts";

/** What a task item needs from the request: links, the nonce and token, the viewer's rights, zone and "now". */
export function taskItemContext(
  c: Context<ViewerEnv>,
  csrfToken: string,
  showSubject: boolean,
  now: number,
): TaskItemContext {
  return {
    base: `/t/${c.var.tenant.slug}`,
    nonce: c.var.nonce,
    csrfToken,
    canWrite: hasRole(c.var.viewer.role, "member"),
    zone: viewerTimeZone(c),
    now,
    showSubject,
  };
}
