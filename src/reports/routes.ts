import { type Context, Hono } from "hono";
import { reportPage, reportSection } from "../../views/reports/report-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { listUsers } from "../auth/users.ts";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { pageContext, wantsFragment } from "../http/page-context.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { workspaceCurrency } from "../pipelines/pipelines.ts";
import { chartCsv } from "./chart-csv.ts";
import { REPORTS, type ReportInfo, reportNamed } from "./report-catalog.ts";
import { reportCharts } from "./report-charts.ts";
import { pageFilters, type ReportFilters } from "./report-filters.ts";
import { REPORT_NAMES } from "./report-types.ts";
import { reportParams, runReport } from "./run-report.ts";
import { localDay } from "./zone-calendar.ts";

function reportOf(c: Context<ViewerEnv>): ReportInfo {
  const report = reportNamed(c.req.param("name") ?? "");
  if (!report) throw new NotFoundError("report");
  return report;
}

/** The filters as given, for showing them back (the defaults filled in once they are read). */
function givenValues(c: Context<ViewerEnv>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of ["from", "to", "ownerId"]) values[name] = (c.req.query(name) ?? "").slice(0, 40);
  return values;
}

/** The query of a report's links (its CSV downloads), from filters that were accepted. */
function filterQuery(f: ReportFilters): string {
  const query = new URLSearchParams({ from: f.from, to: f.to });
  if (f.ownerId !== null) query.set("ownerId", String(f.ownerId));
  return query.toString();
}

/** The report's charts for this request's filters, computed in the pool (or cached). */
async function chartsFor(c: Context<ViewerEnv>, deps: AppDeps, report: ReportInfo, filters: ReportFilters) {
  const figures = await runReport(
    deps.pool,
    c.var.shard,
    c.var.tenant,
    report.name,
    reportParams(report.name, filters, deps.now()),
    c.req.raw.signal,
  );
  return reportCharts(report.name, figures, workspaceCurrency(c.var.shard));
}

/**
 * /reports: one page per report with its filters (from, to, owner; a GET form that works
 * without JavaScript), its charts and their data tables, and each table as CSV. Everyone
 * signed in may read them, read-only users too. Figures come from the worker pool; bad filters
 * are answered 422 with the page showing each problem at its field.
 */
export function reportRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn);

  app.get("/", (c) => {
    const query = new URL(c.req.url).search;
    return c.redirect(`/t/${c.var.tenant.slug}/reports/${REPORT_NAMES[0]}${query}`, 302);
  });

  app.get("/:name", async (c) => {
    const report = reportOf(c);
    const zone = viewerTimeZone(c);
    const base = `/t/${c.var.tenant.slug}`;
    const values = givenValues(c);
    const props = {
      ctx: pageContext(c, deps),
      base,
      report,
      reports: REPORT_NAMES.map((name) => REPORTS[name]),
      owners: listUsers(c.var.shard).map((u) => ({ value: String(u.id), label: u.name })),
      zone,
    };
    const render = (p: Parameters<typeof reportPage>[0], status: 200 | 422) =>
      c.html((wantsFragment(c) ? reportSection(p) : reportPage(p)).value, status);

    let filters: ReportFilters;
    try {
      filters = pageFilters(c.var.shard, c.req.query(), localDay(deps.now(), zone), zone);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const errors: Record<string, string> = {};
      for (const issue of error.issues) errors[issue.field] ??= issue.message;
      return render({ ...props, form: { values, errors } }, 422);
    }
    const charts = await chartsFor(c, deps, report, filters);
    const query = filterQuery(filters);
    return render(
      {
        ...props,
        form: {
          values: {
            from: filters.from,
            to: filters.to,
            ownerId: filters.ownerId === null ? "" : String(filters.ownerId),
          },
          errors: {},
        },
        charts: charts.map((spec) => ({
          id: `${report.name}-${spec.id}`,
          spec,
          csvHref: `${base}/reports/${report.name}/${spec.id}.csv?${query}`,
        })),
      },
      200,
    );
  });

  app.get("/:name/:chart{[a-z0-9-]+\\.csv}", async (c) => {
    const report = reportOf(c);
    const zone = viewerTimeZone(c);
    const filters = pageFilters(c.var.shard, c.req.query(), localDay(deps.now(), zone), zone);
    const id = (c.req.param("chart") ?? "").slice(0, -".csv".length);
    const spec = (await chartsFor(c, deps, report, filters)).find((s) => s.id === id);
    if (!spec) throw new NotFoundError("chart");
    const filename = `${report.name}-${spec.id}-${report.usesRange ? `${filters.from}-to-${filters.to}` : localDay(deps.now(), zone)}.csv`;
    return c.body(chartCsv(spec, c.req.query("bom") === "1"), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
    });
  });

  return app;
}
