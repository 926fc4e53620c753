import type { OpsPoint } from "../../src/ops/ops-summary.ts";
import type { ChartSpec, ChartUnit } from "../../src/reports/chart-spec.ts";
import { type Html, html } from "../html.ts";
import { chartLegend } from "../reports/chart-legend.ts";
import { lineChart } from "../reports/line-chart.ts";

const clock = (at: number) => new Date(at).toISOString().slice(11, 19);
const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

/** A line chart of the ops history: one line per series, one category per point (UTC time). */
function opsChart(
  id: string,
  title: string,
  description: string,
  unit: ChartUnit,
  points: OpsPoint[],
  series: [string, (p: OpsPoint) => number | null][],
): Html {
  const spec: ChartSpec = {
    id,
    title,
    description,
    kind: "line",
    unit,
    categories: points.map((p) => clock(p.at)),
    series: series.map(([name, read]) => ({ name, values: points.map((p) => round(read(p))) })),
    table: { columns: [], rows: [] },
  };
  return html`${lineChart(id, spec)}${chartLegend(spec, 1)}`;
}

/** The dashboard's charts, each with its heading, over the points given (the last 15 minutes or so). */
export function opsCharts(points: OpsPoint[]): { title: string; svg: Html }[] {
  return [
    {
      title: "Response time (ms)",
      svg: opsChart(
        "ops-latency",
        "Response time (ms)",
        "p50, p95 and p99 response time per point, in milliseconds.",
        "count",
        points,
        [
          ["p50", (p) => p.p50Ms],
          ["p95", (p) => p.p95Ms],
          ["p99", (p) => p.p99Ms],
        ],
      ),
    },
    {
      title: "Throughput (requests/s)",
      svg: opsChart(
        "ops-throughput",
        "Throughput (requests/s)",
        "Requests answered per second, and 5xx answers per second.",
        "count",
        points,
        [
          ["requests/s", (p) => p.requestsPerSecond],
          ["5xx/s", (p) => p.errorsPerSecond],
        ],
      ),
    },
    {
      title: "CPU (% of one core)",
      svg: opsChart(
        "ops-cpu",
        "CPU (% of one core)",
        "CPU time of the server processes per second of wall time.",
        "percent",
        points,
        [["CPU", (p) => p.cpuPercent]],
      ),
    },
    {
      title: "Memory (RSS, MB)",
      svg: opsChart(
        "ops-rss",
        "Memory (RSS, MB)",
        "Resident memory of the server processes, in megabytes.",
        "count",
        points,
        [["RSS", (p) => p.rssMegabytes]],
      ),
    },
    {
      title: "Open workspace files · pool queue",
      svg: opsChart(
        "ops-shards",
        "Open workspace files and pool queue",
        "Workspace files open, and tasks waiting for a worker thread.",
        "count",
        points,
        [
          ["open shards", (p) => p.openShards],
          ["pool queue", (p) => p.poolQueued],
        ],
      ),
    },
  ];
}
