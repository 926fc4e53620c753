import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { accountRoutes } from "../account/routes.ts";
import { insightsRoutes } from "../analytics/insights-routes.ts";
import { inviteRoutes } from "../auth/invite-routes.ts";
import { loginRoutes } from "../auth/login-routes.ts";
import { passwordResetRoutes } from "../auth/password-reset-routes.ts";
import { loadSession } from "../auth/session-middleware.ts";
import { signupRoutes } from "../auth/signup-routes.ts";
import { backgroundRoutes } from "../background/routes.ts";
import { bulkRoutes } from "../bulk/routes.ts";
import { clusterRoutes } from "../cluster/cluster-routes.ts";
import { moveRoutes } from "../cluster/move-routes.ts";
import { signupOwnership, tenantOwnership } from "../cluster/ownership-middleware.ts";
import { companyRoutes } from "../companies/routes.ts";
import { contactRoutes } from "../contacts/routes.ts";
import { PayloadTooLargeError } from "../core/errors.ts";
import { dealRoutes } from "../deals/routes.ts";
import { exportRoutes } from "../exports/routes.ts";
import type { AppEnv, TenantEnv } from "../http/app-env.ts";
import { bodyDeadline } from "../http/middleware/body-deadline.ts";
import { compression } from "../http/middleware/compression.ts";
import { csrfProtection } from "../http/middleware/csrf.ts";
import { addressRateLimit, workspaceRateLimit } from "../http/middleware/rate-limit.ts";
import { requestLog } from "../http/middleware/request-log.ts";
import { requestMetrics } from "../http/middleware/request-metrics.ts";
import { securityHeaders } from "../http/middleware/security-headers.ts";
import { serverTiming } from "../http/middleware/server-timing.ts";
import { handleError, handleNotFound } from "../http/on-error.ts";
import { holdShard, resolveTenant } from "../http/tenant-middleware.ts";
import { importRoutes } from "../imports/routes.ts";
import { importUploadRoutes } from "../imports/upload-routes.ts";
import { activityRoutes, timelineRoutes } from "../interactions/routes.ts";
import { mergeRoutes } from "../merge/routes.ts";
import { noteRoutes } from "../notes/routes.ts";
import { opsRoutes } from "../ops/ops-routes.ts";
import type { OpsSource } from "../ops/ops-source.ts";
import { downloadRoutes } from "../privacy/download-routes.ts";
import { privacyRoutes } from "../privacy/routes.ts";
import { chartCsv } from "../reports/chart-csv.ts";
import { REPORTS } from "../reports/report-catalog.ts";
import { REPORT_NAMES } from "../reports/report-types.ts";
import { reportRoutes } from "../reports/routes.ts";
import { savedViewRoutes } from "../saved-views/routes.ts";
import { searchRoutes } from "../search/routes.ts";
import { segmentRoutes } from "../segments/routes.ts";
import { settingsRoutes } from "../settings/routes.ts";
import { taskRoutes } from "../tasks/routes.ts";
import { apiApp, eventsApiApp } from "./api-app.ts";
import { conditionalPage } from "./conditional-page.ts";
import { healthRoutes } from "./health-routes.ts";
import { metricsRoutes } from "./metrics-routes.ts";
import type { ServerDeps } from "./server-deps.ts";
import { ServerMetrics } from "./server-metrics.ts";

/** Pages whose HTML is a function of the workspace's file, the viewer, the URL and the minute. */
const CONDITIONAL_PAGES = [
  "/contacts",
  "/contacts/:id",
  "/companies",
  "/companies/:id",
  "/deals",
  "/deals/:id",
  "/tasks",
];

/** The workspace's pages under /t/:tenant: sign-in first, everything else behind a session. */
function tenantPages(deps: ServerDeps) {
  const app = new Hono<TenantEnv>();
  app.use(
    resolveTenant(deps),
    holdShard(deps),
    loadSession(deps),
    workspaceRateLimit(deps.rateLimits),
    csrfProtection(deps),
  );
  app.get("/", (c) => c.redirect(`/t/${c.var.tenant.slug}/${c.var.viewer ? "contacts" : "login"}`, 303));
  // The pages people reload and come back to answer a revalidation with 304 before any work.
  // Pages that show what is not in the workspace's file (a run's progress, the pool) are not here.
  for (const path of CONDITIONAL_PAGES) app.use(path, conditionalPage(deps));
  app.route("/", loginRoutes(deps));
  app.route("/", inviteRoutes(deps));
  app.route("/", passwordResetRoutes(deps));
  app.route("/account", accountRoutes(deps));
  app.route("/", bulkRoutes(deps));
  app.route("/views", savedViewRoutes(deps));
  app.route("/", mergeRoutes(deps));
  app.route("/contacts", contactRoutes(deps));
  app.route("/companies", companyRoutes(deps));
  app.route("/settings", settingsRoutes(deps));
  app.route("/deals", dealRoutes(deps));
  app.route("/tasks", taskRoutes(deps));
  app.route("/notes", noteRoutes(deps));
  app.route("/activities", activityRoutes(deps));
  app.route("/timeline", timelineRoutes(deps));
  app.route("/search", searchRoutes(deps));
  app.route("/background", backgroundRoutes(deps));
  app.route("/privacy", privacyRoutes(deps));
  app.route("/exports", exportRoutes(deps));
  app.route("/downloads", downloadRoutes(deps));
  app.route(
    "/reports/insights",
    insightsRoutes(deps, {
      reports: REPORT_NAMES.map((name) => ({ name, title: REPORTS[name].title })),
      csv: chartCsv,
    }),
  );
  app.route("/reports", reportRoutes(deps));
  app.route("/segments", segmentRoutes(deps));
  app.route("/imports", importRoutes(deps));
  return app;
}

export interface AppOptions {
  /** The metrics requests are counted in (one per process; start-server.ts shares it with its group). */
  metrics?: ServerMetrics;
  /** What /metrics answers: this process's figures, or its group's (group-member.ts). */
  gatherMetrics?: () => Promise<string>;
  /** What /ops shows: this process's history (ops-sampler.ts) or its group's (group-member.ts); none given, no history. */
  ops?: OpsSource;
}

/** Builds the whole application: middleware in the order every request meets it, then the routes. */
export function createApp(deps: ServerDeps, options: AppOptions = {}) {
  const app = new Hono<AppEnv>();
  const metrics = options.metrics ?? new ServerMetrics(deps);
  app.use(
    requestMetrics(metrics),
    serverTiming(),
    requestLog(deps.logger, deps.config.accessLog),
    securityHeaders(deps.config),
    compression(),
    addressRateLimit(deps.rateLimits),
  );
  // In a cluster: a tenant another host owns is sent there before anything resolves it (zero cost alone).
  if (deps.cluster) app.use(tenantOwnership(deps.cluster));
  // An import's upload streams to disk under its own limit (CRM_IMPORT_MAX_BYTES): before the body limit.
  app.route("/t/:tenant/imports", importUploadRoutes(deps));
  // Host-to-host routes of tenant moves (signed): a catch-up's page hashes have their own limit.
  app.route("/_cluster", moveRoutes(deps));
  // Every other body, chunked ones too, must arrive within CRM_BODY_TIMEOUT_SECONDS (else 408),
  // counted before any body limit reads it (the upload above has its own idle limit instead).
  app.use(bodyDeadline(deps.config.bodyTimeoutSeconds));
  // Event batches (10,000 events) have their own, larger limit (src/events/event-limits.ts): before the body limit.
  app.route("/api/v1/t/:tenant/events", eventsApiApp(deps));
  app.use(
    bodyLimit({
      maxSize: deps.config.bodyLimitBytes,
      onError: () => {
        throw new PayloadTooLargeError(deps.config.bodyLimitBytes);
      },
    }),
  );
  app.route("/", healthRoutes(deps));
  app.route("/", clusterRoutes(deps, deps.cluster));
  app.route("/", metricsRoutes(deps, metrics, options.gatherMetrics));
  app.route("/", opsRoutes(deps, options.ops));
  app.get(
    "/assets/:name",
    (c) =>
      deps.assets.response(
        c.req.param("name"),
        c.req.header("if-none-match"),
        c.req.header("accept-encoding"),
      ) ?? c.notFound(),
  );
  app.route("/api/v1", apiApp(deps));
  if (deps.cluster) app.use("/signup", signupOwnership(deps.cluster));
  app.use("/signup", csrfProtection(deps));
  app.route("/", signupRoutes(deps));
  app.route("/t/:tenant", tenantPages(deps));
  app.onError(handleError(deps));
  app.notFound(handleNotFound(deps));
  return app;
}
