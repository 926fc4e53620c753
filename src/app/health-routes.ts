import { Hono } from "hono";
import { randomToken } from "../core/tokens.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { requestIdFrom } from "../http/middleware/request-log.ts";
import { setSecurityHeaders } from "../http/middleware/security-headers.ts";
import type { ServeFetch } from "./retry-when-busy.ts";

interface Readiness {
  status: 200 | 503;
  body: Record<string, unknown>;
}

/**
 * /readyz: the process can serve (the catalog answers and it is not shutting down), with the
 * open-shard count for operators and the tests that watch the cap, and "degraded" with the
 * workspaces taken out of service (their files gone, replaced or damaged) or a full disk.
 */
function readiness(deps: AppDeps): Readiness {
  if (deps.isDraining()) return { status: 503, body: { status: "draining" } };
  let failedWorkspaces: ReturnType<typeof deps.catalog.failed>;
  try {
    deps.catalog.findBySlug("readyz-probe");
    failedWorkspaces = deps.catalog.failed();
  } catch {
    return { status: 503, body: { status: "catalog unavailable" } };
  }
  // Still ready: the other workspaces are served. Each failed one is named, with why and since when.
  // Degraded too while writes fail for a full disk (until one succeeds again).
  const diskFullSince = deps.shards.diskFullSince();
  return {
    status: 200,
    body: {
      status: failedWorkspaces.length || diskFullSince ? "degraded" : "ready",
      failedWorkspaces,
      ...(diskFullSince ? { diskFull: { since: diskFullSince } } : {}),
      openShards: deps.shards.openCount,
      maxOpenShards: deps.shards.maxOpen,
      shardOpens: deps.shards.opens,
    },
  };
}

const HEALTHY = { status: 200 as const, body: { status: "ok" } };

/**
 * /healthz: the process is alive. /readyz: it can serve (see readiness). As routes of the app,
 * for `crm routes` and requests made to the app directly; a running server answers both
 * before the app (serveHealthFirst).
 */
export function healthRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json(HEALTHY.body));
  app.get("/readyz", (c) => {
    const ready = readiness(deps);
    return c.json(ready.body, ready.status);
  });
  return app;
}

/** The probe a request's path names (`/healthz`, `/readyz`, a query string allowed), if any. */
function probeOf(url: string): "/healthz" | "/readyz" | undefined {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return undefined;
  for (const probe of ["/healthz", "/readyz"] as const) {
    if (!url.startsWith(probe, start)) continue;
    const next = url.charAt(start + probe.length);
    if (next === "" || next === "?") return probe;
  }
  return undefined;
}

/**
 * Answers GET and HEAD of /healthz and /readyz before the app, and hands everything else to
 * `fetch`. A probe then costs a few microseconds of the server's thread instead of a pass
 * through the app and its middleware, so a load balancer's check answers as fast as the event
 * loop turns. The answer is the app's (JSON, the security headers, no-store, an X-Request-Id,
 * and the access log line when it is on).
 */
export function serveHealthFirst(deps: AppDeps, fetch: ServeFetch): ServeFetch {
  return function serveHealthFirst(request, server) {
    const probe = request.method === "GET" || request.method === "HEAD" ? probeOf(request.url) : undefined;
    if (!probe) return fetch(request, server);
    const start = performance.now();
    const answer = probe === "/healthz" ? HEALTHY : readiness(deps);
    const requestId = requestIdFrom(request.headers.get("x-request-id"));
    const headers = new Headers({ "Content-Type": "application/json", "X-Request-Id": requestId });
    const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
    const https = request.url.startsWith("https:") || (deps.config.trustProxy && forwarded === "https");
    setSecurityHeaders(headers, randomToken(16), https);
    const response = new Response(request.method === "HEAD" ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers,
    });
    if (deps.config.accessLog)
      deps.logger.info("request", {
        method: request.method,
        route: probe,
        status: answer.status,
        ms: Math.round((performance.now() - start) * 100) / 100,
        tenant: null,
        requestId,
      });
    return response;
  };
}
