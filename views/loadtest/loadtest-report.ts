import type { LoadtestSummary } from "../../src/loadtest/loadtest-summary.ts";
import type { ChartSpec } from "../../src/reports/chart-spec.ts";
import { type Html, html, trustedHtml } from "../html.ts";
import { barChart } from "../reports/bar-chart.ts";
import { chartLegend } from "../reports/chart-legend.ts";
import { dataTable } from "../reports/data-table.ts";
import { lineChart } from "../reports/line-chart.ts";

/**
 * The HTML report of `crm loadtest --report`: one self-contained file, read offline (inline
 * CSS and SVG from the reports' chart helpers, no script, no link out): the figures, latency
 * and throughput over time, the latency percentiles, the server's memory, and a table per action.
 */

const STYLE =
  trustedHtml(`body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin:0 0 .5rem}
.verdict{padding:.5rem .75rem;border-radius:6px;font-weight:600}.pass{background:#e3f4ea}.fail{background:#fbe4e4}
dl.figures{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dl.figures dt{font-weight:600}dl.figures dd{margin:0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr));gap:1rem;margin:1rem 0}
.chart-box{border:1px solid #d9dde5;border-radius:6px;padding:.75rem;min-width:0}
svg.chart{display:block;width:100%;height:auto}
.chart-legend{display:flex;flex-wrap:wrap;gap:.25rem .9rem;list-style:none;padding:0;margin:.4rem 0;font-size:.85rem}
.chart-legend .swatch{width:.75rem;height:.75rem;margin-right:.3rem;vertical-align:-1px}
table.list{border-collapse:collapse;width:100%;font-size:.9rem}table.list th,table.list td{border-bottom:1px solid #e1e4ea;padding:.3rem .5rem;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}.table-scroll{overflow-x:auto}
.chart-data summary{cursor:pointer;color:#5d6575;font-size:.9rem;margin:.4rem 0}`);

const mb = (bytes: number | null) => (bytes === null ? "unknown" : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

function chartBox(spec: ChartSpec): Html {
  const draw = spec.kind === "bar" ? barChart : lineChart;
  return html`<section class="chart-box" aria-labelledby="${spec.id}-heading">
<h2 id="${spec.id}-heading">${spec.title}</h2>
${draw(spec.id, spec)}
${chartLegend(spec)}
${dataTable(spec.id, spec)}
</section>`;
}

function overTime(s: LoadtestSummary): ChartSpec[] {
  const categories = s.slices.map((slice) => `${slice.from}s`);
  const latency: ChartSpec = {
    id: "latency-over-time",
    title: "Latency over time (ms)",
    description: `The 50th and 99th percentile of each ${s.slices[0]?.seconds ?? 0}-second slice of the run, in milliseconds.`,
    kind: "line",
    unit: "count",
    categories,
    series: [
      { name: "p50", values: s.slices.map((x) => x.p50Ms) },
      { name: "p99", values: s.slices.map((x) => x.p99Ms) },
    ],
    table: {
      columns: [
        { label: "From (s)", numeric: true },
        { label: "p50 ms", numeric: true },
        { label: "p99 ms", numeric: true },
        { label: "max ms", numeric: true },
        { label: "errors", numeric: true },
        { label: "unanswered", numeric: true },
        { label: "wall s", numeric: true },
        { label: "unmeasured s", numeric: true },
      ],
      rows: s.slices.map((x) => [
        x.from,
        x.p50Ms,
        x.p99Ms,
        x.maxMs,
        x.errors,
        x.unanswered,
        x.wallSeconds,
        x.gapSeconds,
      ]),
    },
  };
  const throughput: ChartSpec = {
    id: "throughput-over-time",
    title: "Requests per second over time",
    description: "Requests answered per second in each slice of the run, errors included.",
    kind: "line",
    unit: "count",
    categories,
    series: [{ name: "req/s", values: s.slices.map((x) => x.requestsPerSecond) }],
    table: {
      columns: [
        { label: "From (s)", numeric: true },
        { label: "requests", numeric: true },
        { label: "req/s", numeric: true },
      ],
      rows: s.slices.map((x) => [x.from, x.requests, x.requestsPerSecond]),
    },
  };
  const memory: ChartSpec = {
    id: "rss-over-time",
    title: "Server memory (RSS, MB)",
    description:
      "The server's resident memory, all its processes, at the end of each slice, from its /metrics.",
    kind: "line",
    unit: "count",
    categories,
    series: [
      {
        name: "RSS MB",
        values: s.slices.map((x) =>
          x.rssBytes === null ? null : Math.round(x.rssBytes / 1024 / 102.4) / 10,
        ),
      },
    ],
    table: {
      columns: [
        { label: "From (s)", numeric: true },
        { label: "RSS MB", numeric: true },
      ],
      rows: s.slices.map((x) => [
        x.from,
        x.rssBytes === null ? null : Math.round(x.rssBytes / 1024 / 102.4) / 10,
      ]),
    },
  };
  return [latency, throughput, memory];
}

function percentiles(s: LoadtestSummary): ChartSpec {
  const names = ["p50", "p75", "p90", "p95", "p99", "p99.9", "max"];
  const values = names.map((n) => (s.latencyMs as Record<string, number>)[n] ?? null);
  return {
    id: "latency-percentiles",
    title: "Latency percentiles, whole run (ms)",
    description:
      "The latency under which each share of all the run's requests was answered, from wrk's distribution.",
    kind: "bar",
    unit: "count",
    categories: names,
    series: [{ name: "ms", values }],
    table: {
      columns: [{ label: "Percentile" }, { label: "ms", numeric: true }],
      rows: names.map((n, i) => [n, values[i] ?? null]),
    },
  };
}

function actionsTable(s: LoadtestSummary): Html {
  return html`<div class="table-scroll"><table class="list" id="actions">
<caption>Each action of the scenario (latency measured by the script, to about 5 %)</caption>
<thead><tr><th scope="col">Action</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Mean ms</th><th scope="col" class="num">p50 ms</th><th scope="col" class="num">p99 ms</th><th scope="col" class="num">Max ms</th><th scope="col">Statuses</th></tr></thead>
<tbody>${s.actions.map(
    (a) =>
      html`<tr><td>${a.name}</td><td class="num">${a.count}</td><td class="num">${a.errors}</td><td class="num">${a.meanMs.toFixed(2)}</td><td class="num">${a.p50Ms.toFixed(2)}</td><td class="num">${a.p99Ms.toFixed(2)}</td><td class="num">${a.maxMs.toFixed(2)}</td><td>${Object.entries(
        a.statuses,
      )
        .map(([status, n]) => `${status} × ${n}`)
        .join(", ")}</td></tr>`,
  )}</tbody>
</table></div>`;
}

export function loadtestReport(s: LoadtestSummary): Html {
  const l = s.latencyMs;
  const errors = [
    ...Object.entries(s.errors.byStatus).map(([status, n]) => `${n} × ${status}`),
    ...Object.entries(s.errors.socket)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} × socket ${kind}`),
    ...(s.errors.unexpected ? [`${s.errors.unexpected} × unexpected answer`] : []),
  ];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Load test: ${s.scenario} · ${s.url}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Load test: ${s.scenario}</h1>
<p class="verdict ${s.failures.length ? "fail" : "pass"}">${s.failures.length ? `Failed: ${s.failures.join("; ")}` : "Passed: no errors, every limit kept"}</p>
<dl class="figures">
<dt>Server</dt><dd>${s.url}</dd>
<dt>Started</dt><dd>${s.startedAt}, ${s.seconds} s, ${s.connections} connection${s.connections === 1 ? "" : "s"}</dd>
<dt>Signed in as</dt><dd>${s.users.join(", ")}</dd>
<dt>Requests</dt><dd>${s.requests} (${s.requestsPerSecond} req/s), ${(s.bytes / 1024 / 1024).toFixed(1)} MB read</dd>
<dt>Latency</dt><dd>p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, p99.9 ${l["p99.9"]} ms, max ${l.max} ms</dd>
<dt>Errors</dt><dd>${s.errors.total}${errors.length ? ` (${errors.join(", ")})` : ""}</dd>
<dt>Unmeasured</dt><dd>${gapLine(s)}</dd>
<dt>Server RSS</dt><dd>${mb(s.rss.startBytes)} at the start, ${mb(s.rss.warmBytes)} after the first slice, ${mb(s.rss.endBytes)} at the end${s.rss.growthPercent === null ? "" : ` (${s.rss.growthPercent >= 0 ? "+" : ""}${s.rss.growthPercent} % from the first slice)`}</dd>
<dt>Created</dt><dd>${s.created.contacts} contacts, ${s.created.deals} deals, named “loadtest …”</dd>
</dl>
<div class="charts">
${[...overTime(s), percentiles(s)].map(chartBox)}
</div>
<h2>Actions</h2>
${actionsTable(s)}
</body>
</html>`;
}

/** The wall time no slice measured (wrk's starts and the /metrics reads, or a stall), the longest gap said. */
function gapLine(s: LoadtestSummary): string {
  const total = s.slices.reduce((sum, x) => sum + x.gapSeconds, 0);
  const worst = s.slices.reduce((a, x) => (x.gapSeconds > (a?.gapSeconds ?? -1) ? x : a), s.slices[0]);
  return `${Math.round(total * 100) / 100} s of ${s.seconds} s between slices${worst ? `, at most ${worst.gapSeconds} s after the slice from ${worst.from} s` : ""}`;
}
