/**
 * Benchmark: the nightly `crm analytics run` over many seeded workspaces, run as the real
 * command in a child process (DuckDB over the Parquet warehouse, results written back):
 *   nightly      all six jobs over the exported warehouse (--skip-export): wall time, each
 *                job's time from the ledger, peak RSS of the process;
 *   incremental  after 1% new interactions in every workspace (logged the next day), the next
 *                day's run with its export: wall time and peak RSS;
 *   rfm          `--job rfm` alone, against a reference in the same run: the same RFM rules
 *                computed in JavaScript over each workspace's SQLite file with bun:sqlite.
 * Medians of `--rounds`. The workspaces are seeded once in `--data` (default
 * $TMPDIR/crm-bench-analytics-run) with `crm seed`'s generator (fixed seeds and day) and reused.
 *
 * Usage: bun scripts/bench/analytics-run.ts [--tenants N] [--interactions N] [--rounds N] [--data DIR]
 */
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RUNNER_DIR } from "../../jobs/run/run-analytics.ts";
import { latestRun } from "../../src/tenancy/analytics-ledger.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { seedBenchWorkspaces } from "./seed-workspaces.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "100" },
    interactions: { type: "string", default: "10000" },
    rounds: { type: "string", default: "3" },
    data: { type: "string", default: join(tmpdir(), "crm-bench-analytics-run") },
  },
  strict: true,
});
const TENANTS = Number(values.tenants);
const PER_TENANT = Number(values.interactions);
const ROUNDS = Number(values.rounds);
const dataDir = values.data as string;
const CLI = join(import.meta.dir, "../../src/cli.ts");
const DAY = 86_400_000;
/** The seed's "today" and the first run's date: fixed, so every run computes the same. */
const ANCHOR = Date.UTC(2026, 10, 1);
const RUN_DATE = "2026-10-31";
const count = (n: number) => Math.round(n).toLocaleString("en-US");

const seed = () =>
  seedBenchWorkspaces({ dataDir, tenants: TENANTS, perTenant: PER_TENANT, anchorMs: ANCHOR });

function crm(args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const proc = Bun.spawnSync(["bun", CLI, ...args, "--data", dataDir], {
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const ms = performance.now() - started;
  const out = proc.stdout.toString();
  if (proc.exitCode !== 0) throw new Error(`crm ${args.join(" ")} failed: ${out}${proc.stderr.toString()}`);
  return { ms, maxRssMb: (proc.resourceUsage?.maxRSS ?? 0) / 1024 / 1024, out };
}

/** The RFM job's rules (jobs/rfm.sql) in JavaScript over one workspace's file. */
function rfmInJs(file: string, runEnd: number): number {
  const db = new Database(file, { readonly: true });
  try {
    const contacts = new Set((db.query("SELECT id FROM contacts").values() as number[][]).map((r) => r[0]));
    const last = new Map<number, number>();
    const frequency = new Map<number, number>();
    const since = runEnd - 365 * DAY;
    for (const [id, at] of db
      .query(
        "SELECT subject_id, occurred_at FROM interactions WHERE subject_type = 'contact' AND occurred_at < ?",
      )
      .values(runEnd) as number[][]) {
      if (!contacts.has(id as number)) continue;
      last.set(id as number, Math.max(last.get(id as number) ?? 0, at as number));
      if ((at as number) >= since) frequency.set(id as number, (frequency.get(id as number) ?? 0) + 1);
    }
    const deals = db.query("SELECT id, status, amount_cents, currency, closed_at FROM deals").values() as [
      number,
      string,
      number,
      string,
      number | null,
    ][];
    const perCurrency = new Map<string, number>();
    for (const d of deals) perCurrency.set(d[3], (perCurrency.get(d[3]) ?? 0) + 1);
    const main = [...perCurrency].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
    const won = new Map<number, number>();
    for (const d of deals)
      if (d[1] === "won" && d[3] === main && (d[4] === null || d[4] < runEnd)) won.set(d[0], d[2]);
    const monetary = new Map<number, number>();
    for (const [deal, contact] of db
      .query("SELECT deal_id, contact_id FROM deal_contacts")
      .values() as number[][]) {
      const amount = won.get(deal as number);
      if (amount !== undefined)
        monetary.set(contact as number, (monetary.get(contact as number) ?? 0) + amount);
    }
    const rows = [...last].map(([id, at]) => ({
      id,
      recency: Math.floor((runEnd - DAY) / DAY) - Math.floor(at / DAY),
      f: frequency.get(id) ?? 0,
      m: monetary.get(id) ?? 0,
      r: 0,
      fs: 1,
      ms: 1,
    }));
    const ntile = (i: number, n: number, k: number) => {
      const size = Math.floor(n / k);
      const bigger = n % k;
      return i < bigger * (size + 1)
        ? Math.floor(i / (size + 1)) + 1
        : bigger + Math.floor((i - bigger * (size + 1)) / size) + 1;
    };
    rows
      .sort((a, b) => b.recency - a.recency || a.id - b.id)
      .forEach((row, i) => {
        row.r = ntile(i, rows.length, 5);
      });
    const positiveF = rows.filter((row) => row.f > 0).sort((a, b) => a.f - b.f || a.id - b.id);
    positiveF.forEach((row, i) => {
      row.fs = 1 + ntile(i, positiveF.length, 4);
    });
    const positiveM = rows.filter((row) => row.m > 0).sort((a, b) => a.m - b.m || a.id - b.id);
    positiveM.forEach((row, i) => {
      row.ms = 1 + ntile(i, positiveM.length, 4);
    });
    return rows.length;
  } finally {
    db.close();
  }
}

function runFigures() {
  const catalog = Catalog.open(dataDir);
  try {
    const run = latestRun(catalog);
    if (run?.status !== "succeeded") throw new Error(`the run did not succeed: ${run?.error}`);
    return run;
  } finally {
    catalog.close();
  }
}

await seed();
const catalog = Catalog.open(dataDir);
const tenants = catalog.list().filter((t) => t.slug.startsWith("bench-"));
catalog.close();
console.error(`exporting ${tenants.length} workspaces…`);
const warehouse = join(dataDir, "warehouse");
const exported = crm(["analytics", "export"]);
console.log(exported.out.trim());

// The first run reads every part file into the runner's copy of the log; later ones only new files.
rmSync(join(warehouse, RUNNER_DIR), { recursive: true, force: true });
const cold = crm(["analytics", "run", "--skip-export", "--date", RUN_DATE]);
const coldJobs = runFigures().jobs;

const nightly: { ms: number; rss: number; jobs: Record<string, number> }[] = [];
const rfmCli: number[] = [];
const rfmJs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const full = crm(["analytics", "run", "--skip-export", "--date", RUN_DATE]);
  const run = runFigures();
  nightly.push({
    ms: full.ms,
    rss: full.maxRssMb,
    jobs: Object.fromEntries(Object.entries(run.jobs).map(([job, o]) => [job, o?.ms ?? 0])),
  });
  rfmCli.push(crm(["analytics", "run", "--skip-export", "--date", RUN_DATE, "--job", "rfm"]).ms);
  const started = performance.now();
  let scored = 0;
  for (const tenant of tenants) scored += rfmInJs(join(dataDir, tenant.file), ANCHOR);
  rfmJs.push(performance.now() - started);
  console.error(`round ${round + 1}: nightly ${count(full.ms)} ms, ${count(scored)} contacts scored in JS`);
}

// The next day: 1% new interactions in every workspace, then that day's run with its export.
const incremental: { ms: number; rss: number; exported: number }[] = [];
const shards = new ShardManager({ dataDir, maxOpen: 8 });
for (let round = 0; round < ROUNDS; round++) {
  const day = ANCHOR + round * DAY;
  for (const tenant of tenants)
    await shards.use(tenant, (shard) =>
      shard.transaction(() => {
        const contacts = shard
          .statement("SELECT id FROM contacts ORDER BY id LIMIT ?")
          .values(Math.ceil(PER_TENANT / 100));
        const insert = shard.statement(
          "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id) VALUES (?, 'system', NULL, 'email', 'contact', ?)",
        );
        contacts.forEach(([id], i) => {
          insert.run(day + 9 * 3_600_000 + i * 1000, id as number);
        });
      }),
    );
  const date = new Date(day).toISOString().slice(0, 10);
  const next = crm(["analytics", "run", "--date", date]);
  incremental.push({ ms: next.ms, rss: next.maxRssMb, exported: runFigures().exportedRows });
}
shards.closeAll();

const total = tenants.length * PER_TENANT;
const med = (xs: number[]) => median(xs);
console.log(
  `\nanalytics run: ${count(tenants.length)} workspaces, ~${count(total)} interactions, medians of ${ROUNDS}`,
);
console.log(
  `first run (reads every part file into the runner's copy, no export): ${count(cold.ms)} ms wall, peak RSS ${count(cold.maxRssMb)} MB; jobs ${Object.entries(
    coldJobs,
  )
    .map(([job, o]) => `${job} ${count(o?.ms ?? 0)}`)
    .join(", ")} ms`,
);
console.log(
  `nightly rerun (6 jobs, no export): ${count(med(nightly.map((n) => n.ms)))} ms wall, peak RSS ${count(med(nightly.map((n) => n.rss)))} MB`,
);
for (const job of ["rfm", "cohorts", "funnel", "heatmap", "churn", "usage"])
  console.log(`  ${job.padEnd(8)} ${count(med(nightly.map((n) => n.jobs[job] ?? 0)))} ms`);
console.log(
  `next day (+1%: ${count(med(incremental.map((n) => n.exported)))} new rows, export included): ${count(med(incremental.map((n) => n.ms)))} ms wall, peak RSS ${count(med(incremental.map((n) => n.rss)))} MB`,
);
const cliMs = med(rfmCli);
const jobMs = med(nightly.map((n) => n.jobs.rfm ?? 0));
const jsMs = med(rfmJs);
console.log(
  `rfm: crm analytics run --job rfm ${count(cliMs)} ms (process, read, job, write-back) vs JavaScript over bun:sqlite ${count(jsMs)} ms (compute only): ratio JS/DuckDB ${(jsMs / cliMs).toFixed(2)}`,
);
console.log(
  `rfm job alone (ledger, DuckDB over the runner's copy) ${count(jobMs)} ms vs JavaScript ${count(jsMs)} ms: ratio JS/DuckDB ${(jsMs / Math.max(jobMs, 1)).toFixed(2)}`,
);
console.log(
  `reproduce: bun scripts/bench/analytics-run.ts --tenants ${TENANTS} --interactions ${PER_TENANT} --rounds ${ROUNDS}`,
);
