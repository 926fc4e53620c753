import type { MiddlewareHandler } from "hono";
import type { ViewerEnv } from "../http/app-env.ts";
import { requireRole } from "../identity/roles.ts";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Every write needs at least the member role: read-only users and keys get a 403 before anything runs. */
export const writesNeedMember: MiddlewareHandler<ViewerEnv> = async function writesNeedMember(c, next) {
  if (UNSAFE_METHODS.has(c.req.method)) requireRole(c.var.viewer.role, "member");
  await next();
};
