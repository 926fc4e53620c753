/**
 * Benchmark: how the warehouse's partition layout sets the cost of the nightly analytics, on
 * the same rows in the same run (the interaction columns the export writes, plus tenant and
 * day; --tenants workspaces with their rows spread over --days days, as the seed spreads
 * them). For each layout, DuckDB (2 threads) measures:
 *   full       the first export: every row written with one partitioned COPY;
 *   scan       what a job does: every file read, rows grouped by tenant and kind;
 *   tenant     what an admin's script loads: one tenant's rows;
 *   nightly    1% new rows, all logged today, added as new files (none rewritten);
 *   rebuild    one tenant's history written again (a merge or an erasure), with the files the
 *              layout forces to be rewritten along with it.
 * Layouts:
 *   day×tenant    interactions/day=D/tenant=T/ (today's layout, ADR 0007): the reference;
 *   tenant×month  interactions/tenant=T/month=M/ (ADR 0007's "next step");
 *   day           interactions/day=D/, tenant a column, rows sorted by tenant (row groups prune);
 *   bucket        interactions/bucket=B/ (64 buckets by a hash of the tenant), sorted by tenant;
 *   bucket×year   interactions/bucket=B/year=Y/, sorted by tenant;
 * Printed: seconds (median of --rounds), files, and each layout's time ÷ the first one's (--layouts,
 * default all three, the reference first).
 *
 * Usage: bun scripts/bench/warehouse-layouts.ts [--rows N] [--tenants N] [--days N] [--rounds N] [--layouts A,B]
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    tenants: { type: "string", default: "100" },
    days: { type: "string", default: "1095" },
    rounds: { type: "string", default: "3" },
    layouts: { type: "string", default: "day×tenant,tenant×month,day" },
  },
  strict: true,
});
const ROWS = Number(values.rows);
const TENANTS = Number(values.tenants);
const DAYS = Number(values.days);
const ROUNDS = Number(values.rounds);

interface Layout {
  name: string;
  /** Hive partition columns, outermost first. */
  partitions: string[];
  /** The order rows are written in (so a tenant's rows share row groups). */
  order?: string;
}

const ALL_LAYOUTS: Layout[] = [
  { name: "day×tenant", partitions: ["day", "tenant"] },
  { name: "tenant×month", partitions: ["tenant", "month"] },
  { name: "day", partitions: ["day"], order: "tenant, id" },
  { name: "bucket", partitions: ["bucket"], order: "tenant, id" },
  { name: "bucket×year", partitions: ["bucket", "year"], order: "tenant, id" },
];
/** Tenants are spread over this many buckets by a hash of their id (Iceberg's bucket transform). */
const BUCKETS = 64;
/** The layouts measured, in --layouts order; the first is the reference of the ratios. */
const LAYOUTS = (values.layouts as string).split(",").map((name) => {
  const layout = ALL_LAYOUTS.find((l) => l.name === name.trim());
  if (!layout) throw new Error(`--layouts: no layout ${name} (${ALL_LAYOUTS.map((l) => l.name).join(", ")})`);
  return layout;
});
const STEPS = ["full", "scan", "tenant", "nightly", "rebuild"] as const;
type Step = (typeof STEPS)[number];

const ROW_COLUMNS =
  "id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id, stage_from, stage_to";
const COLUMNS =
  "id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id, stage_from, stage_to, tenant, day, month, year, bucket";

/** The rows: ids in log order; tenant r % TENANTS; days spread evenly over DAYS ending today. */
async function makeRows(c: DuckDBConnection, table: string, from: number, count: number, allToday: boolean) {
  const dayOf = allToday ? "0" : `(r // ${TENANTS}) % ${DAYS}`;
  await c.run(`CREATE OR REPLACE TABLE ${table} AS
    SELECT r AS id, (current_date - ((${dayOf})::INTEGER))::TIMESTAMP + INTERVAL (r % 86400) SECOND AS occurred_at,
      'user' AS actor_type, (r % 7)::BIGINT AS actor_id,
      (['call', 'meeting', 'email', 'web.visit', 'deal.stage_changed'])[1 + r % 5] AS kind,
      'contact' AS subject_type, (r % 997)::BIGINT AS subject_id, NULL::BIGINT AS stage_from, NULL::BIGINT AS stage_to,
      'tenant' || lpad((r % ${TENANTS})::VARCHAR, 4, '0') AS tenant
    FROM range(${from}, ${from + count}) t(r)`);
  await c.run(`CREATE OR REPLACE TABLE ${table} AS
    SELECT *, occurred_at::DATE::VARCHAR AS day, strftime(occurred_at, '%Y-%m') AS month,
      strftime(occurred_at, '%Y') AS year, lpad((hash(tenant) % ${BUCKETS})::VARCHAR, 2, '0') AS bucket FROM ${table}`);
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) if (entry.isFile()) n++;
  return n;
}

async function bucketOf(c: DuckDBConnection, tenant: string): Promise<string> {
  const reader = await c.runAndReadAll(`SELECT lpad((hash('${tenant}') % ${BUCKETS})::VARCHAR, 2, '0')`);
  return String(reader.getRows()[0]?.[0]);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

const copyTo = (layout: Layout, source: string, dir: string, pattern: string) =>
  `COPY (SELECT ${COLUMNS} FROM ${source}${layout.order ? ` ORDER BY ${layout.order}` : ""}) TO '${dir}'
   (FORMAT parquet, PARTITION_BY (${layout.partitions.join(", ")}), FILENAME_PATTERN '${pattern}', OVERWRITE_OR_IGNORE true)`;

const glob = (dir: string) =>
  `read_parquet('${dir}/**/*.parquet', hive_partitioning = true, union_by_name = true)`;

async function measure(
  c: DuckDBConnection,
  layout: Layout,
  root: string,
): Promise<Record<Step, number> & { files: number; rewritten: number }> {
  const dir = join(root, layout.name);
  rmSync(dir, { recursive: true, force: true });
  const full = await timed(() => c.run(copyTo(layout, "base", dir, "part-{i}")));
  const files = countFiles(dir);
  const scan = await timed(() => c.run(`SELECT tenant, kind, count(*) FROM ${glob(dir)} GROUP BY ALL`));
  const tenant = await timed(() => c.run(`SELECT count(*) FROM ${glob(dir)} WHERE tenant = 'tenant0001'`));
  const nightly = await timed(() => c.run(copyTo(layout, "nightly", dir, "night-{i}")));
  // A rebuild of tenant0001: the files holding its rows are written again without them, with its
  // fresh history; a layout with tenant in the path rewrites only that tenant's files.
  let rewritten = 0;
  const rebuild = await timed(async () => {
    if (layout.partitions.includes("tenant")) {
      const own =
        layout.partitions[0] === "tenant"
          ? [join(dir, "tenant=tenant0001")]
          : readdirSync(dir).map((d) => join(dir, d, "tenant=tenant0001"));
      for (const path of own) rmSync(path, { recursive: true, force: true });
      await c.run(copyTo(layout, "(SELECT * FROM base WHERE tenant = 'tenant0001')", dir, "rebuilt-{i}"));
      rewritten = readdirSync(dir, { recursive: true }).filter((f) => String(f).includes("rebuilt-")).length;
    } else {
      // Every file that may hold the tenant's rows is written again: its bucket's, or all of them.
      const bucketed = layout.partitions[0] === "bucket";
      const scope = bucketed ? join(dir, `bucket=${await bucketOf(c, "tenant0001")}`) : dir;
      const inner = bucketed ? layout.partitions.slice(1) : layout.partitions;
      const derived = `${ROW_COLUMNS}, tenant, occurred_at::DATE::VARCHAR AS day, strftime(occurred_at, '%Y-%m') AS month,
        strftime(occurred_at, '%Y') AS year`;
      const source = `(SELECT ${derived} FROM ${glob(scope)} WHERE tenant <> 'tenant0001'
        UNION ALL SELECT ${derived} FROM base WHERE tenant = 'tenant0001')`;
      const next = `${scope}-next`;
      if (inner.length > 0) {
        await c.run(`COPY (SELECT * FROM ${source} ORDER BY tenant, id) TO '${next}'
          (FORMAT parquet, PARTITION_BY (${inner.join(", ")}), FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)`);
        rewritten = countFiles(next);
      } else {
        mkdirSync(next, { recursive: true });
        await c.run(
          `COPY (SELECT * EXCLUDE (day, month, year) FROM ${source} ORDER BY tenant, id) TO '${next}/part-0.parquet' (FORMAT parquet)`,
        );
        rewritten = 1;
      }
      rmSync(scope, { recursive: true, force: true });
      renameSync(next, scope);
    }
  });
  rmSync(dir, { recursive: true, force: true });
  return { full, scan, tenant, nightly, rebuild, files, rewritten };
}

const root = mkdtempSync(join(tmpdir(), "crm-bench-layouts-"));
const instance = await DuckDBInstance.create(":memory:", { threads: "2", preserve_insertion_order: "false" });
const connection = await instance.connect();
try {
  await makeRows(connection, "base", 0, ROWS, false);
  await makeRows(connection, "nightly", ROWS, Math.max(1, Math.round(ROWS / 100)), true);
  const results = new Map<string, { steps: Record<Step, number[]>; files: number; rewritten: number }>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const layout of LAYOUTS) {
      const r = await measure(connection, layout, root);
      const entry = results.get(layout.name) ?? {
        steps: { full: [], scan: [], tenant: [], nightly: [], rebuild: [] },
        files: 0,
        rewritten: 0,
      };
      for (const step of STEPS) entry.steps[step].push(r[step]);
      entry.files = r.files;
      entry.rewritten = r.rewritten;
      results.set(layout.name, entry);
      console.log(
        `round ${round} ${layout.name}: ${STEPS.map((s) => `${s} ${r[s].toFixed(2)} s`).join(", ")}; ${r.files} files`,
      );
    }
  }
  console.log(
    `\nWarehouse layouts: ${ROWS.toLocaleString("en")} rows, ${TENANTS} tenants over ${DAYS} days, DuckDB 2 threads, medians of ${ROUNDS}\n`,
  );
  console.log(
    `layout          files   ${STEPS.map((s) => s.padStart(9)).join(" ")}   (seconds; ÷ ${LAYOUTS[0]?.name})`,
  );
  const reference = results.get(LAYOUTS[0]?.name ?? "");
  for (const [name, entry] of results) {
    const cells = STEPS.map((s) => {
      const value = median(entry.steps[s]);
      const ratio = reference ? value / median(reference.steps[s]) : 1;
      return `${value.toFixed(2)} (${ratio.toFixed(2)})`.padStart(9);
    });
    console.log(
      `${name.padEnd(14)} ${String(entry.files).padStart(6)}   ${cells.join(" ")}   rebuild writes ${entry.rewritten} files`,
    );
  }
  console.log(
    `\nreproduce: bun scripts/bench/warehouse-layouts.ts --rows ${ROWS} --tenants ${TENANTS} --days ${DAYS} --rounds ${ROUNDS}`,
  );
} finally {
  connection.closeSync();
  instance.closeSync();
  rmSync(root, { recursive: true, force: true });
}
