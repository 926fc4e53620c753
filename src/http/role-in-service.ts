import type { MiddlewareHandler } from "hono";

// Admin- and owner-only actions check the role inside their services (requireRole(actor.role,
// …)), so a page and its API twin pass the same guard. A route cannot see that check, so these
// two name it on the routes that reach such a service, for the route table (`crm routes`
// reads the app's middleware by name). They let every request through: the services enforce.

/** Marks a route whose service needs the admin role (or owner). */
export const adminInService: MiddlewareHandler = async function adminInService(_c, next) {
  await next();
};

/** Marks a route whose service needs the owner role. */
export const ownerInService: MiddlewareHandler = async function ownerInService(_c, next) {
  await next();
};
