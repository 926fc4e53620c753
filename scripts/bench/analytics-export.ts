/**
 * Benchmark: `crm analytics export` over many seeded workspaces (default 100 × 10,000
 * interactions over the seed's three years), run as the real command in a child process:
 *   full         the first export into an empty warehouse: rows/s, files, peak RSS;
 *   incremental  after 1% new interactions in every workspace (logged today), the next export.
 * In the same run, two references over the same rows (medians of `--rounds`):
 *   sqlite read  the interactions read from every workspace's file with bun:sqlite (.values(),
 *                50,000 rows at a time): the floor of any export reading them;
 *   one COPY     DuckDB writing the same number of rows from an in-memory table to ONE Parquet
 *                file: the cost of the bytes alone, without the warehouse's 64 buckets and snapshots.
 * The export's rate is printed as a ratio to each. With `--reference DIR` (a worktree of another
 * commit, its node_modules linked), that commit's `crm analytics export` runs over the same rows
 * in each round beside this one's (full, then incremental; which side exports first after the
 * new rows alternates by round, since that one pays the files' first open), and the ratios are printed.
 * Each export runs with CRM_EXPORT_TRACE=1: its phases (export-trace.ts) of the median round
 * are printed.
 *
 * The workspaces are made once in `--data` (default $TMPDIR/crm-bench-analytics-export) with
 * the seed `crm seed` runs (seedTenant, fixed seed and anchor) and reused by later runs.
 *
 * Usage: bun scripts/bench/analytics-export.ts [--tenants N] [--interactions N] [--rounds N] [--data DIR]
 *        [--reference DIR]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { SYSTEM_ACTOR } from "../../src/identity/viewer.ts";
import { recordInteraction } from "../../src/interactions/record-interaction.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { seedBenchWorkspaces } from "./seed-workspaces.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "100" },
    interactions: { type: "string", default: "10000" },
    rounds: { type: "string", default: "3" },
    data: { type: "string", default: join(tmpdir(), "crm-bench-analytics-export") },
    reference: { type: "string" },
  },
  strict: true,
});
const TENANTS = Number(values.tenants);
const PER_TENANT = Number(values.interactions);
const ROUNDS = Number(values.rounds);
const dataDir = values.data as string;
const CLI = join(import.meta.dir, "../../src/cli.ts");
const REFERENCE = values.reference;
const REFERENCE_CLI = REFERENCE ? join(REFERENCE, "src/cli.ts") : undefined;
/** The seed's "today": fixed, so every run exports the same rows. */
const ANCHOR = Date.UTC(2026, 10, 1);
const count = (n: number) => Math.round(n).toLocaleString("en-US");

const seed = () =>
  seedBenchWorkspaces({ dataDir, tenants: TENANTS, perTenant: PER_TENANT, anchorMs: ANCHOR });

/** 1% new interactions in every workspace, logged "today" (the day after the seed's anchor). */
async function addOnePercent(round: number): Promise<number> {
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir, maxOpen: 8 });
  let added = 0;
  try {
    for (const tenant of catalog.list()) {
      await shards.use(tenant, (shard) =>
        shard.transaction(() => {
          const contacts = shard
            .statement("SELECT id FROM contacts ORDER BY id LIMIT 50")
            .values() as number[][];
          for (let i = 0; i < PER_TENANT / 100; i++) {
            recordInteraction(shard, {
              actor: SYSTEM_ACTOR,
              kind: "email",
              subjectType: "contact",
              subjectId: Number(contacts[i % contacts.length]?.[0]),
              occurredAt: ANCHOR + (round + 1) * 86_400_000 + i * 1000,
              payload: { summary: "Follow-up" },
            });
            added++;
          }
        }),
      );
    }
  } finally {
    shards.closeAll();
    catalog.close();
  }
  return added;
}

interface ExportRun {
  ms: number;
  /** CPU time of the export's process (user + system, every thread): less moved by other load than `ms`. */
  cpuMs: number;
  rows: number;
  maxRssMb: number;
  line: string;
  /** Its `export trace:` line (export-trace.ts), when it printed one. */
  trace: string;
}

async function runExport(warehouse: string, cli = CLI): Promise<ExportRun> {
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, cli, "analytics", "export", "--warehouse", warehouse], {
    env: { ...process.env, CRM_DATA: dataDir, CRM_EXPORT_TRACE: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const line = out.trim();
  const code = await proc.exited;
  const ms = performance.now() - started;
  const trace = /^export trace: (.*)$/m.exec(err)?.[1] ?? "";
  const rest = err.replace(/^export trace: .*\n?/m, "");
  if (rest) process.stderr.write(rest);
  if (code !== 0) throw new Error(`export failed (${code})`);
  const rows = Number(/^exported ([\d,]+) rows/.exec(line)?.[1]?.replaceAll(",", "") ?? Number.NaN);
  const usage = proc.resourceUsage();
  const cpuMs = Number(usage?.cpuTime.total ?? 0) / 1000;
  return { ms, cpuMs, rows, maxRssMb: (usage?.maxRSS ?? 0) / 1024 / 1024, line, trace };
}

/** The run of the median time (its trace is the one printed). */
const medianRun = <T extends { ms: number }>(runs: T[]): T | undefined =>
  [...runs].sort((a, b) => a.ms - b.ms)[Math.floor((runs.length - 1) / 2)];

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    n += entry.isDirectory() ? countFiles(join(dir, entry.name)) : entry.name.endsWith(".parquet") ? 1 : 0;
  return n;
}

/** Reference 1: every workspace's interactions read with bun:sqlite, as the export reads them. */
function sqliteRead(): { ms: number; rows: number } {
  const catalog = Catalog.open(dataDir);
  const tenants = catalog.list();
  catalog.close();
  const started = performance.now();
  let rows = 0;
  for (const tenant of tenants) {
    const db = new Database(join(dataDir, tenant.file), { readonly: true });
    const read = db.query(
      "SELECT id, occurred_at, actor_type, actor_id, kind, subject_type, subject_id FROM interactions WHERE id > ? ORDER BY id LIMIT 50000",
    );
    let after = 0;
    for (;;) {
      const chunk = read.values(after) as number[][];
      rows += chunk.length;
      if (chunk.length < 50_000) break;
      after = Number(chunk[chunk.length - 1]?.[0]);
    }
    db.close();
  }
  return { ms: performance.now() - started, rows };
}

/** Reference 2: DuckDB writing `rows` interaction-like rows from memory to one Parquet file. */
async function oneCopy(rows: number, dir: string): Promise<number> {
  // Its spill files go to the scratch folder, not to `.tmp` in the current one (DuckDB's default).
  const instance = await DuckDBInstance.create(":memory:", {
    threads: "1",
    temp_directory: join(dir, "spill"),
  });
  const connection = await instance.connect();
  await connection.run(
    `CREATE TABLE t AS SELECT i::BIGINT AS id, epoch_ms(1700000000000 + i * 60000) AS occurred_at, 'user' AS actor_type,
       (i % 7)::BIGINT AS actor_id, CASE i % 3 WHEN 0 THEN 'email' WHEN 1 THEN 'call' ELSE 'meeting' END AS kind,
       'contact' AS subject_type, (i % 1000)::BIGINT AS subject_id, NULL::BIGINT AS stage_from, NULL::BIGINT AS stage_to
     FROM range(${rows}) r(i)`,
  );
  const started = performance.now();
  await connection.run(`COPY t TO '${join(dir, "one.parquet")}' (FORMAT parquet)`);
  const ms = performance.now() - started;
  connection.closeSync();
  instance.closeSync();
  return ms;
}

const scratch = mkdtempSync(join(tmpdir(), "crm-bench-export-"));
try {
  await seed();
  const sqlite = Array.from({ length: ROUNDS }, sqliteRead);
  const rows = sqlite[0]?.rows ?? 0;
  const sqliteMs = median(sqlite.map((s) => s.ms));
  const copies: number[] = [];
  for (let i = 0; i < ROUNDS; i++) copies.push(await oneCopy(rows, scratch));
  const copyMs = median(copies);

  const fulls: ExportRun[] = [];
  const incrementals: (ExportRun & { added: number })[] = [];
  const refFulls: ExportRun[] = [];
  const refIncrementals: ExportRun[] = [];
  let files = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const warehouse = join(scratch, `warehouse-${round}`);
    const refWarehouse = join(scratch, `reference-${round}`);
    rmSync(warehouse, { recursive: true, force: true });
    const full = await runExport(warehouse);
    files = countFiles(warehouse);
    fulls.push(full);
    if (REFERENCE_CLI) refFulls.push(await runExport(refWarehouse, REFERENCE_CLI));
    const added = await addOnePercent(round);
    // The first export after the new rows opens each workspace file first since its writer
    // closed, which costs more (measured with the same code on both sides: 2.0 s against 1.1 s
    // at 1,000 workspaces): the side that goes first alternates by round.
    const referenceFirst = REFERENCE_CLI !== undefined && round % 2 === 1;
    if (referenceFirst && REFERENCE_CLI) refIncrementals.push(await runExport(refWarehouse, REFERENCE_CLI));
    incrementals.push({ ...(await runExport(warehouse)), added });
    if (!referenceFirst && REFERENCE_CLI) refIncrementals.push(await runExport(refWarehouse, REFERENCE_CLI));
    rmSync(warehouse, { recursive: true, force: true });
    rmSync(refWarehouse, { recursive: true, force: true });
    console.error(`round ${round + 1}: full ${full.line}; incremental ${incrementals[round]?.line}`);
    if (REFERENCE_CLI)
      console.error(
        `round ${round + 1} reference: full ${refFulls[round]?.line}; incremental ${refIncrementals[round]?.line}`,
      );
  }
  const fullMs = median(fulls.map((f) => f.ms));
  const fullRate = (fulls[0]?.rows ?? 0) / (fullMs / 1000);
  const sqliteRate = rows / (sqliteMs / 1000);
  const copyRate = rows / (copyMs / 1000);
  const inc = median(incrementals.map((r) => r.ms));
  let reference = "";
  if (REFERENCE) {
    const refFullMs = median(refFulls.map((f) => f.ms));
    const refRate = (refFulls[0]?.rows ?? 0) / (refFullMs / 1000);
    const refInc = median(refIncrementals.map((r) => r.ms));
    const cpu = (runs: ExportRun[]) => median(runs.map((r) => r.cpuMs));
    // A reference at another schema skips every workspace (files migrated past it): no ratio then.
    if (refFulls.some((r, i) => r.rows !== fulls[i]?.rows))
      console.error(
        `the reference exported other rows (${refFulls.map((r) => count(r.rows)).join(", ")} against ${fulls.map((r) => count(r.rows)).join(", ")}): a worktree at another schema skips the workspaces; use a reference with the same migrations`,
      );
    reference = `
  reference full    ${(refFullMs / 1000).toFixed(1)} s  ${count(refRate)} rows/s  CPU ${(cpu(refFulls) / 1000).toFixed(1)} s  (${REFERENCE})
                    this/reference: rows/s ${(fullRate / refRate).toFixed(2)}, CPU ${(cpu(fulls) / cpu(refFulls)).toFixed(2)}
  reference incr.   ${(refInc / 1000).toFixed(2)} s  CPU ${(cpu(refIncrementals) / 1000).toFixed(2)} s
                    this/reference: time ${(inc / refInc).toFixed(2)}, CPU ${(cpu(incrementals) / cpu(refIncrementals)).toFixed(2)}`;
  }
  const traces = [
    ["full", medianRun(fulls)?.trace],
    ["incremental", medianRun(incrementals)?.trace],
    ["reference full", medianRun(refFulls)?.trace],
    ["reference incr.", medianRun(refIncrementals)?.trace],
  ]
    .filter(([, trace]) => trace)
    .map(([name, trace]) => `\n  trace ${name}: ${trace}`)
    .join("");
  console.log(`analytics export: ${TENANTS} workspaces, ${count(rows)} interactions (seeded; the full export grows by 1% a round), ${count(files)} Parquet files, ${ROUNDS} rounds, medians
  full export       ${(fullMs / 1000).toFixed(1)} s  ${count(fullRate)} rows/s  CPU ${(median(fulls.map((f) => f.cpuMs)) / 1000).toFixed(1)} s  peak RSS ${count(median(fulls.map((f) => f.maxRssMb)))} MB  (process start included)
  incremental (1%)  ${(inc / 1000).toFixed(2)} s  ${count(median(incrementals.map((r) => r.rows)))} rows  CPU ${(median(incrementals.map((f) => f.cpuMs)) / 1000).toFixed(2)} s  peak RSS ${count(median(incrementals.map((r) => r.maxRssMb)))} MB
  sqlite read       ${(sqliteMs / 1000).toFixed(2)} s  ${count(sqliteRate)} rows/s   export/sqlite read = ${(fullRate / sqliteRate).toFixed(3)}
  one COPY          ${(copyMs / 1000).toFixed(2)} s  ${count(copyRate)} rows/s   export/one COPY    = ${(fullRate / copyRate).toFixed(3)}
  rows per file     ${(rows / Math.max(files, 1)).toFixed(1)}${reference}${traces}
Reproduce: bun scripts/bench/analytics-export.ts --tenants ${TENANTS} --interactions ${PER_TENANT} --rounds ${ROUNDS}${REFERENCE ? ` --reference ${REFERENCE}` : ""}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
