import { Hono } from "hono";
import { analyticsPage } from "../../views/settings/analytics-page.ts";
import { analyticsFreshness, freshnessText, WORKSPACE_JOBS } from "../analytics/freshness.ts";
import { hostTimeZone, nextRunAt } from "../analytics/nightly-scheduler.ts";
import { ledgerForWorkspace } from "../analytics/run-ledger.ts";
import { utcToZoned } from "../core/time-zone.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";

/**
 * Settings → Analytics (/settings/analytics), for owners and admins: this host's run ledger
 * (start, end, status, each job's status and duration), when the next nightly run starts, and
 * what this workspace holds from each job.
 */
export function analyticsSettingsRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.get("/", adminOnly, (c) => {
    const now = deps.now();
    const at = deps.config.analyticsAt;
    const zone = hostTimeZone();
    const next = at ? nextRunAt(now, at, zone) : null;
    const fresh = analyticsFreshness(c.var.shard);
    return c.html(
      analyticsPage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        schedule: next === null ? null : { at: at as string, zone, next, local: utcToZoned(next, zone) },
        runs: ledgerForWorkspace(deps.catalog),
        jobs: WORKSPACE_JOBS.map((job) => {
          const f = fresh.get(job);
          return { job, rows: f?.rows ?? null, freshness: f ? freshnessText(f, now) : null };
        }),
      }).value,
    );
  });
  return app;
}
