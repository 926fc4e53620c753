import { Hono } from "hono";
import { safeEqual } from "../core/tokens.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { clientIp } from "../http/https.ts";
import { bearerToken, isLoopback } from "../http/loopback.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/**
 * GET /metrics: this process's metrics in Prometheus' text format (server-metrics.ts), or with
 * `crm serve --procs N` the whole group's, summed by the supervisor (group-member.ts), for a
 * client on the loopback (a scraper on the host), or with `Authorization: Bearer
 * <CRM_METRICS_TOKEN>` from anywhere; anyone else gets 403 and nothing of them. Credentials
 * sent are checked, never ignored: a wrong or malformed one is refused even from the loopback.
 * Behind a trusted proxy the client is the address the proxy names, so the proxy's own loopback
 * connection does not make every outside request local.
 */
export function metricsRoutes(
  deps: Pick<AppDeps, "config">,
  metrics: ServerMetrics,
  gather: () => Promise<string> = () => metrics.registry.metrics(),
) {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => {
    const token = deps.config.metricsToken;
    const authorization = c.req.header("authorization");
    const bearer = bearerToken(authorization);
    const allowed =
      authorization !== undefined
        ? token !== undefined && bearer !== undefined && safeEqual(token, bearer)
        : isLoopback(clientIp(c, deps.config));
    // One wording whether a token is set or not: a refusal tells nothing of the host's settings.
    if (!allowed)
      return c.text("metrics are for the host's loopback, or with the operator's bearer token\n", 403);
    return c.body(await gather(), 200, {
      "Content-Type": metrics.registry.contentType,
      "Cache-Control": "no-store",
    });
  });
  return app;
}
