import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "../../core/logger.ts";
import type { AppEnv } from "../app-env.ts";

/** An incoming X-Request-Id is kept (so a proxy's id threads through) only if it is short and plain. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * Gives every request an id (echoed in X-Request-Id) and, when enabled, writes one JSON line
 * per request: method, route pattern (never the raw path, which may hold ids or emails),
 * status, milliseconds, tenant and request id.
 */
export function requestLog(logger: Logger, enabled: boolean): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const start = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    await next();
    c.header("X-Request-Id", requestId);
    if (enabled) {
      logger.info("request", {
        method: c.req.method,
        route: routePath(c, -1),
        status: c.res.status,
        ms: Math.round((performance.now() - start) * 100) / 100,
        tenant: c.get("tenant")?.slug ?? null,
        requestId,
      });
    }
  };
}
