import { Hono } from "hono";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { apiFilters } from "./report-filters.ts";
import { REPORT_NAMES } from "./report-types.ts";
import { reportParams, runReport } from "./run-report.ts";

/**
 * /api/v1/t/:tenant/reports/<name>: a report's figures as JSON, computed in the worker pool
 * (or cached until the next write), with the filters they were computed for. Parameters
 * `from`, `to`, `ownerId` and `zone` (src/api/openapi/reports.ts documents each answer).
 */
export function reportApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  for (const name of REPORT_NAMES) {
    app.get(`/${name}`, async (c) => {
      const now = deps.now();
      const filters = reportParams(name, apiFilters(c.var.shard, c.req.query(), now), now);
      const figures = await runReport(deps.pool, c.var.shard, c.var.tenant, name, filters, c.req.raw.signal);
      return c.json({ report: name, filters, ...figures });
    });
  }
  return app;
}
