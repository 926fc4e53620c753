import type { MiddlewareHandler } from "hono";
import { requireRole } from "../identity/roles.ts";
import type { ViewerEnv } from "./app-env.ts";

// The role a route needs, checked before its body is parsed (a refused caller gets 403 whatever
// it sent; the bytes have arrived by then: holdShard reads a body, bounded, before opening the file). The service the route calls checks the same role again through its actor, for the
// callers that are not HTTP requests (worker tasks, jobs, the command line); a test calls every
// guarded route as the role just below and expects the 403, so the two cannot drift apart.
// `crm routes` reads these by name.

/** Members and up (a read-only user or key gets 403), for a read that only leads to a write (the merge page). */
export const memberOnly: MiddlewareHandler<ViewerEnv> = async function memberOnly(c, next) {
  requireRole(c.var.viewer.role, "member");
  await next();
};

/** Admins and owners. */
export const adminOnly: MiddlewareHandler<ViewerEnv> = async function adminOnly(c, next) {
  requireRole(c.var.viewer.role, "admin");
  await next();
};

/** Owners. */
export const ownerOnly: MiddlewareHandler<ViewerEnv> = async function ownerOnly(c, next) {
  requireRole(c.var.viewer.role, "owner");
  await next();
};
