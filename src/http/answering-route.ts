import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * The route pattern a request was answered by, for logs and metrics (never the raw path, which
 * holds ids, slugs and emails): the handler that answered (`/t/:tenant/deals/board`, not
 * `/t/:tenant/deals/:id`, which matches it too but never ran), or, when a middleware answered
 * (a refusal, an error, a redirect before the handler), the route the request was for. Read
 * after the app has answered.
 */
export function answeringRoute(c: Context): string {
  const routes = matchedRoutes(c);
  const at = c.req.routeIndex;
  const answered = routes[at];
  // Middleware is registered for every method ("ALL"); a route for its own.
  if (answered && answered.method !== "ALL") return answered.path;
  return routes.slice(at + 1).find((route) => route.method !== "ALL")?.path ?? answered?.path ?? "*";
}
