import type { MiddlewareHandler } from "hono";
import { type QueryTiming, timingQueries } from "../../tenancy/query-timing.ts";
import type { AppEnv } from "../app-env.ts";

const ms = (value: number) => value.toFixed(2);

/**
 * Says on every answer where its time went, in a `Server-Timing` header a browser's developer
 * tools show: `db` (the workspace statements run on the server's thread, with how many),
 * `app` (everything else the app did: sessions, rendering, JSON, middleware) and `total`.
 * Work handed to the worker pool is part of `app` (the wait for it), not of `db`. Not on an
 * API 401, which must look the same for every workspace, real or not.
 */
export function serverTiming(): MiddlewareHandler<AppEnv> {
  return async function serverTiming(c, next) {
    const started = performance.now();
    const timing: QueryTiming = { queries: 0, ms: 0 };
    await timingQueries(timing, () => next());
    // An API 401 says nothing of its work: whether the workspace's slug was cached (0 queries)
    // or looked up (1) would tell a workspace in use from one that does not exist.
    if (c.res.status === 401 && c.req.path.startsWith("/api/")) return;
    const total = performance.now() - started;
    // Set on the answer's headers: c.header() after the answer is made would wrap its body in a
    // new Response, turning a string body into a stream (measured: ~15 µs more per list page).
    c.res.headers.set(
      "Server-Timing",
      `db;dur=${ms(timing.ms)};desc="${timing.queries} ${timing.queries === 1 ? "query" : "queries"}", app;dur=${ms(Math.max(0, total - timing.ms))}, total;dur=${ms(total)}`,
    );
  };
}
