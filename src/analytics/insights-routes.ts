import { type Context, Hono } from "hono";
import { insightsPage } from "../../views/analytics/insights-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext, rowContext } from "../http/page-context.ts";
import type { ChartSpec } from "../reports/chart-spec.ts";
import type { Shard } from "../tenancy/shard.ts";
import { analyticsFreshness, freshnessText, notYetText, WORKSPACE_JOBS } from "./freshness.ts";
import { funnelChart, hoursChart, rfmSegmentsChart } from "./insight-charts.ts";
import {
  churnAtRisk,
  churnCounts,
  cohortCells,
  funnelMonths,
  funnelOf,
  heatmapCells,
  heatmapOwners,
} from "./insights.ts";
import { runRfmSummary } from "./run-rfm-summary.ts";
import { heatmapTimeZone } from "./workspace-time-zone.ts";

type C = Context<ViewerEnv>;

/**
 * What the page takes from the reports, handed over by the root: the record pages read this
 * folder's services, so it imports no other capability's web side (no loop of folders).
 */
export interface InsightsRoutesOptions {
  /** The reports' tabs (src/reports/report-catalog.ts); Insights comes last. */
  reports: { name: string; title: string }[];
  /** A chart's data table as CSV (src/reports/chart-csv.ts). */
  csv: (spec: ChartSpec, bom: boolean) => string;
}

/** The month and user asked for, each checked against what the results hold (an allow-list). */
function choices(shard: Shard, query: { month?: string; owner?: string }) {
  const months = funnelMonths(shard);
  const owners = heatmapOwners(shard);
  const errors: Record<string, string> = {};
  const month = (query.month ?? "").slice(0, 20);
  const owner = (query.owner ?? "").slice(0, 20);
  if (month && !months.includes(month)) errors.month = "is not a month the funnel has figures for";
  const ownerId = owner === "" ? null : Number(owner);
  if (owner && !owners.some((o) => o.id === ownerId))
    errors.owner = "is not a user the heatmap has figures for";
  return {
    months,
    owners,
    errors,
    values: { month: errors.month ? month : month || (months[0] ?? ""), owner },
    month: errors.month ? (months[0] ?? "") : month || (months[0] ?? ""),
    ownerId: errors.owner ? null : ownerId,
  };
}

/** The page's drawn charts for these choices (the CSV downloads draw the same). */
async function chartsOf(c: C, deps: AppDeps, month: string, ownerId: number | null, zone: string) {
  const shard = c.var.shard;
  const rfm = await runRfmSummary(deps.pool, shard, c.var.tenant, c.req.raw.signal);
  const stages = month ? funnelOf(shard, month) : [];
  const pipelines = [...new Set(stages.map((s) => s.pipelineId))].map((id) => {
    const own = stages.filter((s) => s.pipelineId === id);
    return {
      pipeline: own[0]?.pipeline ?? "",
      stages: own,
      spec: funnelChart(id, own[0]?.pipeline ?? "", month, own),
    };
  });
  const heat = heatmapCells(shard, ownerId);
  return {
    rfm,
    pipelines,
    heat,
    specs: [rfmSegmentsChart(rfm.segments), ...pipelines.map((p) => p.spec), hoursChart(heat, zone)],
  };
}

/**
 * Reports → Insights (/t/<slug>/reports/insights): the nightly analytics' results for this
 * workspace, read from its own result tables (small, indexed: no worker needed), with each
 * chart's CSV. Everyone signed in may read it, read-only users too.
 */
export function insightsRoutes(deps: AppDeps, options: InsightsRoutesOptions) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  app.get("/", async (c: C) => {
    const shard = c.var.shard;
    const base = `/t/${c.var.tenant.slug}`;
    const now = deps.now();
    const fresh = analyticsFreshness(shard);
    const freshness: Record<string, string> = {};
    for (const job of WORKSPACE_JOBS) {
      const f = fresh.get(job);
      if (f) freshness[job] = freshnessText(f, now);
    }
    const chosen = choices(shard, { month: c.req.query("month"), owner: c.req.query("owner") });
    const { zone, next: nextZone } = heatmapTimeZone(shard);
    const { rfm, pipelines, heat, specs } = await chartsOf(c, deps, chosen.month, chosen.ownerId, zone);
    const query = new URLSearchParams({
      month: chosen.month,
      owner: chosen.ownerId === null ? "" : String(chosen.ownerId),
    });
    const figure = (spec: ChartSpec) => ({
      id: `insights-${spec.id}`,
      spec,
      csvHref: `${base}/reports/insights/${spec.id}.csv?${query}`,
    });
    const canWrite = rowContext(c).canWrite;
    const segmentHref = (segment: string) =>
      `${base}/segments/new?${new URLSearchParams({ name: segment, "rules.0.field": "rfmSegment", "rules.0.op": "equals", "rules.0.value": segment })}`;
    const hasErrors = Object.keys(chosen.errors).length > 0;
    return c.html(
      insightsPage({
        ctx: pageContext(c, deps),
        base,
        reports: options.reports,
        emptyText: fresh.size === 0 ? notYetText(deps.config.analyticsAt) : undefined,
        freshness,
        zone,
        nextZone,
        form: { values: chosen.values, errors: chosen.errors },
        months: chosen.months,
        owners: chosen.owners.map((o) => ({ value: String(o.id), label: o.name })),
        rfm: {
          cells: rfm.cells,
          segments: rfm.segments.map((s) => ({ ...s, href: canWrite ? segmentHref(s.segment) : null })),
          chart: rfm.segments.length ? figure(specs[0] as ChartSpec) : undefined,
        },
        cohorts: cohortCells(shard),
        funnel: pipelines.map((p) => ({ pipeline: p.pipeline, stages: p.stages, chart: figure(p.spec) })),
        heatmap: {
          cells: heat,
          chart: heat.length ? figure(specs[specs.length - 1] as ChartSpec) : undefined,
        },
        churn: { rows: churnAtRisk(shard), counts: churnCounts(shard) },
      }).value,
      hasErrors ? 422 : 200,
    );
  });

  app.get("/:chart{[a-z0-9-]+\\.csv}", async (c: C) => {
    const shard = c.var.shard;
    const chosen = choices(shard, { month: c.req.query("month"), owner: c.req.query("owner") });
    // A month or user the results do not hold is refused as on the page, not answered with another's figures.
    const issues = Object.entries(chosen.errors).map(([field, message]) => ({ field, message }));
    if (issues.length) throw new ValidationError(issues);
    const id = (c.req.param("chart") ?? "").slice(0, -".csv".length);
    const spec = (
      await chartsOf(c, deps, chosen.month, chosen.ownerId, heatmapTimeZone(shard).zone)
    ).specs.find((s) => s.id === id);
    if (!spec) throw new NotFoundError("chart");
    return c.body(options.csv(spec, c.req.query("bom") === "1"), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="insights-${spec.id}.csv"`,
    });
  });

  return app;
}
