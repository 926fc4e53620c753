import { Hono } from "hono";
import { requireSignedIn } from "../auth/session-middleware.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import type { MailDeps } from "../mail/mail-deps.ts";
import { analyticsSettingsRoutes } from "./analytics-routes.ts";
import { auditRoutes } from "./audit-routes.ts";
import { fieldSettingsRoutes } from "./fields-routes.ts";
import { pipelineSettingsRoutes } from "./pipelines-routes.ts";
import { usersSettingsRoutes } from "./users-routes.ts";
import { webhookSettingsRoutes } from "./webhooks-routes.ts";
import { workspaceSettingsRoutes } from "./workspace-routes.ts";

/**
 * Settings (/t/<slug>/settings/…): one routes file per tab, as views/settings has one page per
 * tab. Everyone signed in may look; each tab's changes check their own role.
 */
export function settingsRoutes(deps: AppDeps & MailDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);
  app.route("/", usersSettingsRoutes(deps));
  app.route("/", pipelineSettingsRoutes(deps));
  app.route("/", fieldSettingsRoutes(deps));
  app.route("/audit", auditRoutes(deps));
  app.route("/workspace", workspaceSettingsRoutes(deps));
  app.route("/analytics", analyticsSettingsRoutes(deps));
  app.route("/webhooks", webhookSettingsRoutes(deps));
  return app;
}
