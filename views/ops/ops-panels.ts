import type { OpsData } from "../../src/ops/ops-history.ts";
import type { OpsSummary } from "../../src/ops/ops-summary.ts";
import type { TenantSize } from "../../src/ops/tenant-storage.ts";
import { type Html, html } from "../html.ts";
import { opsCharts } from "./ops-charts.ts";
import { recentErrorsTable, slowestRoutesTable, storageTable, topTenantsTable } from "./ops-tables.ts";

export interface OpsPanelsProps {
  data: OpsData;
  summary: OpsSummary;
  storage: { at: number; top: TenantSize[]; total: number; tenants: number };
  /** Workspaces' names by slug (those in the tables). */
  names: Record<string, string>;
}

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const percent = (rate: number | null) => (rate === null ? "—" : `${number.format(rate * 100)} %`);
const msText = (value: number | null) => (value === null ? "—" : `${number.format(value)} ms`);

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min ${seconds % 60} s`;
}

function figure(label: string, value: string, id: string): Html {
  return html`<div class="ops-figure"><dt>${label}</dt><dd id="${id}">${value}</dd></div>`;
}

/** Everything the dashboard shows; GET /ops wraps it in the page, htmx swaps it in from GET /ops/panels. */
export function opsPanels(p: OpsPanelsProps): Html {
  const { data, summary } = p;
  // The window the history covers so far: seconds in a server's first minute, then minutes.
  const kept =
    summary.kept.seconds < 60
      ? `${Math.round(summary.kept.seconds)} s`
      : `${Math.round(summary.kept.seconds / 60)} min`;
  return html`${data.partial ? html`<p class="flash error" role="alert">The group's supervisor did not answer in time: these figures are one process's.</p>` : ""}
<section class="ops-availability" aria-labelledby="ops-availability-h"><h2 id="ops-availability-h">Availability</h2>
<dl class="ops-figures">
${figure("Uptime", duration(summary.uptimeSeconds), "ops-uptime")}
${figure("Processes", String(data.processes), "ops-processes")}
${figure("Requests (5 min)", String(summary.last5m.requests), "ops-requests-5m")}
${figure(`Requests (${kept})`, String(summary.kept.requests), "ops-requests-kept")}
${figure("Error rate (5 min)", percent(summary.last5m.errorRate), "ops-error-rate-5m")}
${figure(`Error rate (${kept})`, percent(summary.kept.errorRate), "ops-error-rate-kept")}
${figure(`Error budget left (SLO ${summary.slo * 100} %, ${kept})`, `${number.format(summary.budgetLeftPercent)} %`, "ops-budget")}
${figure("p50 · p95 · p99 (5 min)", `${msText(summary.last5m.p50Ms)} · ${msText(summary.last5m.p95Ms)} · ${msText(summary.last5m.p99Ms)}`, "ops-latency-5m")}
${figure("Disk (all workspaces)", `${number.format(p.storage.total / 1048576)} MB in ${p.storage.tenants}`, "ops-disk")}
${figure("Sampler tick", `${data.tickMicros} µs every ${data.sampleSeconds} s`, "ops-tick")}
</dl></section>
<section class="ops-charts" aria-label="Charts">${opsCharts(summary.points).map(
    (chart) =>
      html`<figure class="ops-chart"><figcaption><strong>${chart.title}</strong></figcaption>${chart.svg}</figure>`,
  )}</section>
<section class="ops-tables">
<div><h2>Top workspaces by load (5 min)</h2>${topTenantsTable(data.topTenants, p.names)}</div>
<div><h2>Top workspaces by storage</h2>${storageTable(p.storage.top, p.names)}<p class="hint">Measured at <time datetime="${new Date(p.storage.at).toISOString()}">${new Date(p.storage.at).toISOString().slice(11, 19)}</time> UTC, every minute at most.</p></div>
<div><h2>Slowest routes (p95, 5 min)</h2>${slowestRoutesTable(data.slowestRoutes)}</div>
<div><h2>Recent errors (5xx)</h2>${recentErrorsTable(data.recentErrors)}</div>
</section>`;
}
