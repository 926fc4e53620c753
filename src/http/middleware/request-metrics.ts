import type { MiddlewareHandler } from "hono";
import { answeringRoute } from "../answering-route.ts";
import type { AppEnv } from "../app-env.ts";

/** One request as the metrics count it: the route's pattern, never the raw path (ids, emails, slugs). */
export interface ObservedRequest {
  method: string;
  route: string;
  status: number;
  seconds: number;
  /** The workspace's slug, when the request named one that exists. */
  tenant?: string;
  /** The id echoed in X-Request-Id (request-log.ts). */
  requestId?: string;
}

/** What counts requests (src/app/server-metrics.ts): told when one starts and when its answer is final. */
export interface RequestObserver {
  begin(): void;
  end(request: ObservedRequest): void;
}

/**
 * Tells `observer` of every request: its start (the in-flight gauge) and, once the answer is
 * final (the error funnel's included), its method, route pattern, status and duration. First in
 * the chain, so its duration is the whole of the app's. The pattern is the one of the handler
 * that answered (`/deals/board`), not the last that matched (`/deals/:id` matches it too).
 */
export function requestMetrics(observer: RequestObserver): MiddlewareHandler<AppEnv> {
  return async function requestMetrics(c, next) {
    const started = performance.now();
    observer.begin();
    try {
      await next();
    } finally {
      observer.end({
        method: c.req.method,
        route: answeringRoute(c),
        status: c.res.status,
        seconds: (performance.now() - started) / 1000,
        tenant: c.get("tenant")?.slug,
        requestId: c.get("requestId"),
      });
    }
  };
}
