import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../core/logger.ts";
import { answeringRoute } from "../answering-route.ts";
import type { AppEnv } from "../app-env.ts";
import { CLIENT_CLOSED_REQUEST } from "../on-error.ts";

/** An incoming X-Request-Id is kept (so a proxy's id threads through) only if it is short and plain. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** The request's id: the incoming X-Request-Id if it is short and plain, else a new one. */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/**
 * Gives every request an id (echoed in X-Request-Id) and, when enabled, writes one JSON line
 * per request: method, route pattern (never the raw path, which may hold ids or emails),
 * status, milliseconds, tenant and request id; a client that hung up mid-request is a warning
 * with status 499.
 */
export function requestLog(logger: Logger, enabled: boolean): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const start = performance.now();
    const requestId = requestIdFrom(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    await next();
    // On the answer's own headers: c.header() now would wrap its body in a new Response (a stream).
    c.res.headers.set("X-Request-Id", requestId);
    if (enabled) {
      const fields = {
        method: c.req.method,
        route: answeringRoute(c),
        status: c.res.status,
        ms: Math.round((performance.now() - start) * 100) / 100,
        tenant: c.get("tenant")?.slug ?? null,
        requestId,
      };
      // A client that hung up mid-request is worth noticing (a flaky network, a slow-body attack), but it is not our error.
      if (fields.status === CLIENT_CLOSED_REQUEST) logger.warn("request", { ...fields, clientAbort: true });
      else logger.info("request", fields);
    }
  };
}
