import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { serversFor } from "../api/openapi/servers.ts";
import { OPENAPI_DOCUMENT } from "../api/openapi.ts";
import { problemTypeRoutes } from "../api/problem-routes.ts";
import { apiKeyAuth, apiWorkspace } from "../auth/api-key-middleware.ts";
import { userApiRoutes } from "../auth/user-api-routes.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { batchApiRoutes } from "../batch/api-routes.ts";
import { bulkApiRoutes } from "../bulk/api-routes.ts";
import { changesApiRoutes } from "../changes/api-routes.ts";
import { companyApiRoutes } from "../companies/api-routes.ts";
import { contactApiRoutes } from "../contacts/api-routes.ts";
import { PayloadTooLargeError } from "../core/errors.ts";
import { customFieldApiRoutes } from "../custom-fields/api-routes.ts";
import { dealApiRoutes } from "../deals/api-routes.ts";
import { eventApiRoutes } from "../events/api-routes.ts";
import { EVENTS_MAX_BYTES } from "../events/event-limits.ts";
import type { AppDeps, AppEnv, TenantEnv } from "../http/app-env.ts";
import { apiRouteRules } from "../http/middleware/api-route-rules.ts";
import { keyFailureGuard } from "../http/middleware/key-failures.ts";
import { workspaceRateLimit } from "../http/middleware/rate-limit.ts";
import { holdShard } from "../http/tenant-middleware.ts";
import { idempotentPosts } from "../idempotency/idempotency-middleware.ts";
import { interactionApiRoutes } from "../interactions/api-routes.ts";
import { mergeApiRoutes } from "../merge/api-routes.ts";
import { noteApiRoutes } from "../notes/api-routes.ts";
import { pipelineApiRoutes } from "../pipelines/api-routes.ts";
import { reportApiRoutes } from "../reports/api-routes.ts";
import { searchApiRoutes } from "../search/api-routes.ts";
import { segmentApiRoutes } from "../segments/api-routes.ts";
import { taskApiRoutes } from "../tasks/api-routes.ts";
import { webhookApiRoutes } from "../webhooks/api-routes.ts";

/** Where the API is mounted, and the one route of its events app (mounted apart: eventsApiApp). */
const API_PREFIX = "/api/v1";
const EVENTS_ROUTE = { method: "POST", path: "/t/:tenant/events" };

/**
 * /api/v1: JSON for integrations. The tenant comes from the URL and must match the key's;
 * the key is checked before the workspace's file is opened. Cookies play no part here, so
 * CSRF cannot either.
 */
export function apiApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const openApiJson = JSON.stringify({ ...OPENAPI_DOCUMENT, servers: serversFor(deps.config.publicUrl) });
  // 405 + Allow, and one rule for query parameters, over every route (read at the first request).
  app.use(apiRouteRules(API_PREFIX, () => [...app.routes, EVENTS_ROUTE]));
  app.get("/openapi.json", (c) =>
    c.body(openApiJson, 200, { "Content-Type": "application/json", "Cache-Control": "public, max-age=300" }),
  );
  app.route("/problems", problemTypeRoutes());

  // The key is checked against the URL's tenant before the file opens; apiKeyAuth then sets the
  // viewer, so from writesNeedMember on every handler sees a ViewerEnv.
  const tenantApi = new Hono<TenantEnv>()
    .use(keyFailureGuard(deps.rateLimits), apiWorkspace(deps), holdShard(deps))
    .use(apiKeyAuth)
    .use(workspaceRateLimit(deps.rateLimits))
    .use(writesNeedMember)
    .use(idempotentPosts(deps));
  tenantApi.route("/", bulkApiRoutes(deps));
  tenantApi.route("/", batchApiRoutes(deps));
  tenantApi.route("/", mergeApiRoutes(deps));
  tenantApi.route("/contacts", contactApiRoutes(deps.config.renderCache));
  tenantApi.route("/companies", companyApiRoutes(deps.config.renderCache));
  tenantApi.route("/deals", dealApiRoutes(deps.config.renderCache));
  tenantApi.route("/", pipelineApiRoutes(deps));
  tenantApi.route("/interactions", interactionApiRoutes());
  tenantApi.route("/tasks", taskApiRoutes());
  tenantApi.route("/notes", noteApiRoutes());
  tenantApi.route("/search", searchApiRoutes());
  tenantApi.route("/custom-fields", customFieldApiRoutes(deps));
  tenantApi.route("/reports", reportApiRoutes(deps));
  tenantApi.route("/segments", segmentApiRoutes(deps));
  tenantApi.route("/webhooks", webhookApiRoutes(deps));
  tenantApi.route("/changes", changesApiRoutes());
  tenantApi.route("/users", userApiRoutes());
  app.route("/t/:tenant", tenantApi);
  return app;
}

/**
 * /api/v1/t/:tenant/events, mounted by the root before the global body limit: a batch of
 * 10,000 events needs more than CRM_BODY_LIMIT_BYTES, so this route has its own
 * (EVENTS_MAX_BYTES, 4 MiB), read only once the workspace and the key's tenant are checked;
 * then the same key checks as the rest of the API.
 */
export function eventsApiApp(deps: AppDeps) {
  // The workspace and the key's tenant are checked before a byte of the body is read (401).
  const app = new Hono<TenantEnv>()
    .use(apiRouteRules(API_PREFIX, () => [EVENTS_ROUTE]))
    .use(
      keyFailureGuard(deps.rateLimits),
      apiWorkspace(deps),
      bodyLimit({
        maxSize: EVENTS_MAX_BYTES,
        onError: () => {
          throw new PayloadTooLargeError(EVENTS_MAX_BYTES);
        },
      }),
      holdShard(deps),
    )
    .use(apiKeyAuth)
    .use(workspaceRateLimit(deps.rateLimits))
    .use(writesNeedMember);
  app.route("/", eventApiRoutes(deps));
  return app;
}
