import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../http/app-env.ts";

/**
 * /healthz: the process is alive. /readyz: it can serve (the catalog answers and it is not
 * shutting down), with the open-shard count for operators and the tests that watch the cap.
 */
export function healthRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    if (deps.isDraining()) return c.json({ status: "draining" }, 503);
    try {
      deps.catalog.findBySlug("readyz-probe");
    } catch {
      return c.json({ status: "catalog unavailable" }, 503);
    }
    return c.json({
      status: "ready",
      openShards: deps.shards.openCount,
      maxOpenShards: deps.shards.maxOpen,
      shardOpens: deps.shards.opens,
    });
  });
  return app;
}
