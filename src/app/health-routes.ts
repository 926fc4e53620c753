import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../http/app-env.ts";

/**
 * /healthz: the process is alive. /readyz: it can serve (the catalog answers and it is not
 * shutting down), with the open-shard count for operators and the tests that watch the cap, and
 * "degraded" with the workspaces taken out of service (their files gone, replaced or damaged).
 */
export function healthRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    if (deps.isDraining()) return c.json({ status: "draining" }, 503);
    let failedWorkspaces: ReturnType<typeof deps.catalog.failed>;
    try {
      deps.catalog.findBySlug("readyz-probe");
      failedWorkspaces = deps.catalog.failed();
    } catch {
      return c.json({ status: "catalog unavailable" }, 503);
    }
    // Still ready: the other workspaces are served. Each failed one is named, with why and since when.
    // Degraded too while writes fail for a full disk (until one succeeds again).
    const diskFullSince = deps.shards.diskFullSince();
    return c.json({
      status: failedWorkspaces.length || diskFullSince ? "degraded" : "ready",
      failedWorkspaces,
      ...(diskFullSince ? { diskFull: { since: diskFullSince } } : {}),
      openShards: deps.shards.openCount,
      maxOpenShards: deps.shards.maxOpen,
      shardOpens: deps.shards.opens,
    });
  });
  return app;
}
