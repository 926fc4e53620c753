import { Hono } from "hono";
import { safeEqual } from "../core/tokens.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { clientIp } from "../http/https.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
function isLoopback(address: string): boolean {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.") || address === "::1";
}

/**
 * GET /metrics: this process's metrics in Prometheus' text format (server-metrics.ts), for a
 * client on the loopback (a scraper on the host), or with `Authorization: Bearer
 * <CRM_METRICS_TOKEN>` from anywhere; anyone else gets 403 and nothing of them. Behind a trusted
 * proxy the client is the address the proxy names, so the proxy's own loopback connection does
 * not make every outside request local.
 */
export function metricsRoutes(deps: Pick<AppDeps, "config">, metrics: ServerMetrics) {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => {
    const token = deps.config.metricsToken;
    const bearer = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    const allowed =
      token && bearer ? safeEqual(token, bearer) : !bearer && isLoopback(clientIp(c, deps.config));
    if (!allowed)
      return c.text(
        token
          ? "metrics are for the host's loopback, or with the operator's bearer token\n"
          : "metrics are for the host's loopback (set CRM_METRICS_TOKEN to read them from elsewhere)\n",
        403,
      );
    return c.body(await metrics.registry.metrics(), 200, {
      "Content-Type": metrics.registry.contentType,
      "Cache-Control": "no-store",
    });
  });
  return app;
}
