/**
 * Benchmark: the nightly `crm analytics run` over many seeded workspaces, run as the real
 * command in a child process (DuckDB over the Parquet warehouse, results written back):
 *   nightly      all six jobs over the exported warehouse (--skip-export), every workspace's
 *                results written in full (the record of what was written is forgotten first): wall time,
 *                each job's time from the ledger, each phase's (_runner/phases.json), peak RSS;
 *   next day     after 1% new interactions in every workspace (logged the next day): that day's
 *                export (`crm analytics export`), then its run (--skip-export), each timed (this
 *                checkout writes only the rows that changed);
 *   rfm          `--job rfm` alone, against the same RFM rules computed in JavaScript over each
 *                workspace's SQLite file with bun:sqlite, in the same run;
 *   file floor   after each next day, every workspace's file opened as the export opens it
 *                (read-only, two threads) and as the write-back does (one write transaction
 *                that changes nothing, two threads; file-floor.ts): the least the export and
 *                the write-back can spend touching a thousand files on this machine, printed
 *                beside their times.
 * With `--reference DIR` (another checkout, e.g. `git worktree add --detach DIR <commit>` with
 * node_modules linked), the same steps run with its code over a copy of the data directory
 * (`<data>-reference`), alternating with this checkout's in every round, and each figure is
 * printed with the ratio reference/this. Medians of `--rounds`. The workspaces are seeded once in
 * `--data` (default $TMPDIR/crm-bench-analytics-run) with `crm seed`'s generator (fixed seeds
 * and day) and reused; the reference's are seeded by its own code once in `<data>-reference-seed`
 * (its schema may be older) and copied again on every run.
 *
 * Usage: bun scripts/bench/analytics-run.ts [--tenants N] [--interactions N] [--rounds N] [--data DIR]
 *                                           [--reference DIR]
 */
import { Database } from "bun:sqlite";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { RUNNER_DIR } from "../../jobs/run/run-analytics.ts";
import { forgetWritten } from "../../jobs/run/written-results.ts";
import { latestRun } from "../../src/tenancy/analytics-ledger.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { fileFloor } from "./file-floor.ts";
import { seedBenchWorkspaces } from "./seed-workspaces.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    tenants: { type: "string", default: "100" },
    interactions: { type: "string", default: "10000" },
    rounds: { type: "string", default: "3" },
    data: { type: "string", default: join(tmpdir(), "crm-bench-analytics-run") },
    reference: { type: "string" },
  },
  strict: true,
});
const TENANTS = Number(values.tenants);
const PER_TENANT = Number(values.interactions);
const ROUNDS = Number(values.rounds);
const dataDir = values.data as string;
const REFERENCE = values.reference as string | undefined;
const referenceData = `${dataDir}-reference`;
const DAY = 86_400_000;
/** The seed's "today" and the first run's date: fixed, so every run computes the same. */
const ANCHOR = Date.UTC(2026, 10, 1);
const RUN_DATE = "2026-10-31";
const count = (n: number) => Math.round(n).toLocaleString("en-US");

const seed = () =>
  seedBenchWorkspaces({ dataDir, tenants: TENANTS, perTenant: PER_TENANT, anchorMs: ANCHOR });

/** A checkout whose code is measured, and the data directory it runs over. */
interface Side {
  name: string;
  cli: string;
  data: string;
}
const sides: Side[] = [{ name: "this", cli: join(import.meta.dir, "../../src/cli.ts"), data: dataDir }];
if (REFERENCE) sides.push({ name: "reference", cli: join(REFERENCE, "src/cli.ts"), data: referenceData });

function crm(side: Side, args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const proc = Bun.spawnSync([process.execPath, side.cli, ...args, "--data", side.data], {
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const ms = performance.now() - started;
  const out = proc.stdout.toString();
  if (proc.exitCode !== 0)
    throw new Error(`crm ${args.join(" ")} (${side.name}) failed: ${out}${proc.stderr.toString()}`);
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
      lastDay: Math.floor(at / DAY),
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
      .sort((a, b) => a.lastDay - b.lastDay || a.id - b.id)
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

/**
 * Forgets what the side's runner wrote, so its next run writes every workspace in full: this
 * checkout keeps it in its DuckDB database (written-results.ts), an older one in written.json.
 */
async function forgetWrites(side: Side) {
  const runnerDir = join(side.data, "warehouse", RUNNER_DIR);
  rmSync(join(runnerDir, "written.json"), { force: true });
  if (side.name !== "this" || !existsSync(join(runnerDir, "cache.duckdb"))) return;
  const instance = await DuckDBInstance.create(join(runnerDir, "cache.duckdb"));
  const connection = await instance.connect();
  try {
    await forgetWritten(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function runFigures(side: Side) {
  const catalog = Catalog.open(side.data);
  try {
    const run = latestRun(catalog);
    if (run?.status !== "succeeded") throw new Error(`the run did not succeed: ${run?.error}`);
    return run;
  } finally {
    catalog.close();
  }
}

/** The phases of the side's last run (this checkout writes them; an older one may not). */
function phases(side: Side): Record<string, number> {
  const path = join(side.data, "warehouse", RUNNER_DIR, "phases.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, number>) : {};
}

/**
 * 1% new interactions in every workspace of `data`, logged on `day` (the same rows on both
 * sides), written with bun:sqlite as a write transaction of the app writes them (the change
 * counter bumped), not through this checkout's shard manager, which would migrate a reference's
 * files past the schema its code knows.
 */
function logNextDay(data: string, day: number) {
  const catalog = Catalog.open(data);
  const files = catalog
    .list()
    .filter((t) => t.slug.startsWith("bench-"))
    .map((t) => join(data, t.file));
  catalog.close();
  for (const file of files) {
    const db = new Database(file);
    try {
      db.run("PRAGMA busy_timeout = 5000");
      db.transaction(() => {
        const contacts = db
          .query("SELECT id FROM contacts ORDER BY id LIMIT ?")
          .values(Math.ceil(PER_TENANT / 100));
        const insert = db.query(
          "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id) VALUES (?, 'system', NULL, 'email', 'contact', ?)",
        );
        contacts.forEach(([id], i) => {
          insert.run(day + 9 * 3_600_000 + i * 1000, id as number);
        });
        db.run("UPDATE shard_state SET change_counter = change_counter + 1 WHERE id = 1");
      })();
    } finally {
      db.close();
    }
  }
}

await seed();
const catalog = Catalog.open(dataDir);
const tenants = catalog.list().filter((t) => t.slug.startsWith("bench-"));
catalog.close();
console.error(`exporting ${tenants.length} workspaces…`);
const [self] = sides as [Side];
console.log(crm(self, ["analytics", "export"]).out.trim());
if (REFERENCE) {
  // Seeded by the reference's own code (the same generator, fixed seeds), once, into a folder
  // of its own: files this checkout opened carry its migrations, which older code refuses.
  const referenceSeed = `${dataDir}-reference-seed`;
  const seeded = Bun.spawnSync(
    [
      process.execPath,
      "-e",
      `const { seedBenchWorkspaces } = await import(${JSON.stringify(join(REFERENCE, "scripts/bench/seed-workspaces.ts"))});
       await seedBenchWorkspaces({ dataDir: ${JSON.stringify(referenceSeed)}, tenants: ${TENANTS}, perTenant: ${PER_TENANT}, anchorMs: ${ANCHOR} });`,
    ],
    { stdout: "inherit", stderr: "inherit" },
  );
  if (seeded.exitCode !== 0) throw new Error("seeding the reference's workspaces failed");
  rmSync(referenceData, { recursive: true, force: true });
  Bun.spawnSync(["cp", "-a", referenceSeed, referenceData]);
  console.log(crm(sides[1] as Side, ["analytics", "export"]).out.trim());
}

interface Figures {
  ms: number;
  rss: number;
  jobs: Record<string, number>;
  phases: Record<string, number>;
}
const figures = (side: Side, ms: number, rss: number): Figures => ({
  ms,
  rss,
  jobs: Object.fromEntries(Object.entries(runFigures(side).jobs).map(([job, o]) => [job, o?.ms ?? 0])),
  phases: phases(side),
});

// The first run reads every part file into the runner's copy of the log; later ones only new files.
const cold = new Map<string, Figures>();
for (const side of sides) {
  rmSync(join(side.data, "warehouse", RUNNER_DIR), { recursive: true, force: true });
  const run = crm(side, ["analytics", "run", "--skip-export", "--date", RUN_DATE]);
  cold.set(side.name, figures(side, run.ms, run.maxRssMb));
}

const nightly = new Map<string, Figures[]>(sides.map((side) => [side.name, []]));
const rfmCli: number[] = [];
const rfmJs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const side of sides) {
    // Nothing remembered as written: every workspace's results are written, as on a night
    // when every workspace changed.
    await forgetWrites(side);
    const full = crm(side, ["analytics", "run", "--skip-export", "--date", RUN_DATE]);
    nightly.get(side.name)?.push(figures(side, full.ms, full.maxRssMb));
  }
  rfmCli.push(crm(self, ["analytics", "run", "--skip-export", "--date", RUN_DATE, "--job", "rfm"]).ms);
  const started = performance.now();
  let scored = 0;
  for (const tenant of tenants) scored += rfmInJs(join(dataDir, tenant.file), ANCHOR);
  rfmJs.push(performance.now() - started);
  console.error(
    `round ${round + 1}: nightly ${sides.map((side) => `${side.name} ${count(nightly.get(side.name)?.at(-1)?.ms ?? 0)} ms`).join(", ")}; ${count(scored)} contacts scored in JS`,
  );
}

// The next day: 1% new interactions in every workspace, then that day's export and run.
const nextDay = new Map<string, { exportMs: number; runMs: number; rss: number; run: Figures }[]>(
  sides.map((side) => [side.name, []]),
);
/** Threads of the export's readers and of the write-back's writers (their defaults on two cores). */
const FLOOR_THREADS = 2;
const floors = { read: [] as number[], write: [] as number[] };
const tenantFiles = tenants.map((t) => join(dataDir, t.file));
for (let round = 0; round < ROUNDS; round++) {
  const day = ANCHOR + round * DAY;
  const date = new Date(day).toISOString().slice(0, 10);
  for (const side of sides) {
    logNextDay(side.data, day);
    const exported = crm(side, ["analytics", "export"]);
    const run = crm(side, ["analytics", "run", "--skip-export", "--date", date]);
    nextDay.get(side.name)?.push({
      exportMs: exported.ms,
      runMs: run.ms,
      rss: Math.max(exported.maxRssMb, run.maxRssMb),
      run: figures(side, run.ms, run.maxRssMb),
    });
  }
  floors.read.push(await fileFloor(tenantFiles, "read", FLOOR_THREADS));
  floors.write.push(await fileFloor(tenantFiles, "write", FLOOR_THREADS));
}

const total = tenants.length * PER_TENANT;
const med = (xs: number[]) => median(xs);
const uptime = Bun.spawnSync(["uptime"]).stdout.toString().trim();
/** A figure of each side, and reference/this when there is a reference. */
const compare = (label: string, of: (side: Side) => number, unit = "ms") => {
  const values = sides.map((side) => of(side));
  const ratio =
    values.length > 1
      ? `  ratio reference/this ${((values[1] ?? 0) / Math.max(values[0] ?? 0, 1)).toFixed(2)}`
      : "";
  console.log(
    `${label.padEnd(34)} ${values.map((v, i) => `${sides[i]?.name} ${count(v)} ${unit}`).join(", ")}${ratio}`,
  );
};
console.log(
  `\nanalytics run: ${count(tenants.length)} workspaces, ~${count(total)} interactions, medians of ${ROUNDS}; ${uptime}`,
);
compare("first run (fills the log's copy)", (side) => cold.get(side.name)?.ms ?? 0);
const nightOf = (side: Side) => nightly.get(side.name) ?? [];
compare("nightly (6 jobs, all written)", (side) => med(nightOf(side).map((n) => n.ms)));
compare("  peak RSS", (side) => med(nightOf(side).map((n) => n.rss)), "MB");
for (const job of ["rfm", "cohorts", "funnel", "heatmap", "churn", "usage"])
  compare(`  ${job}`, (side) => med(nightOf(side).map((n) => n.jobs[job] ?? 0)));
const phaseNames = [...new Set(nightOf(self).flatMap((n) => Object.keys(n.phases)))];
console.log(
  `  phases (this): ${phaseNames.map((phase) => `${phase} ${count(med(nightOf(self).map((n) => n.phases[phase] ?? 0)))}`).join(", ")} ms`,
);
const dayOf = (side: Side) => nextDay.get(side.name) ?? [];
compare(`next day (+1%) export`, (side) => med(dayOf(side).map((n) => n.exportMs)));
compare("next day run (--skip-export)", (side) => med(dayOf(side).map((n) => n.runMs)));
compare("next day export + run", (side) => med(dayOf(side).map((n) => n.exportMs + n.runMs)));
compare("  peak RSS", (side) => med(dayOf(side).map((n) => n.rss)), "MB");
for (const side of sides) {
  const names = [...new Set(dayOf(side).flatMap((n) => Object.keys(n.run.phases)))];
  console.log(
    `  run phases (${side.name}): ${names.map((phase) => `${phase} ${count(med(dayOf(side).map((n) => n.run.phases[phase] ?? 0)))}`).join(", ")} ms`,
  );
}
/** From the jobs' end to the DuckDB's close: packing or computing the changes, writing the files, recording them. */
const writeBackMs = (phases: Record<string, number>) =>
  Object.entries(phases)
    .filter(([phase]) => !["export", "open", "views", "jobs", "close"].includes(phase))
    .reduce((sum, [, ms]) => sum + ms, 0);
compare("nightly write-back (all its phases)", (side) =>
  med(nightOf(side).map((n) => writeBackMs(n.phases))),
);
compare("next day write-back (all its phases)", (side) =>
  med(dayOf(side).map((n) => writeBackMs(n.run.phases))),
);
const readFloor = med(floors.read);
const writeFloor = med(floors.write);
const exportMs = med(dayOf(self).map((n) => n.exportMs));
const nextWriteBack = med(dayOf(self).map((n) => writeBackMs(n.run.phases)));
console.log(
  `file floor, read (${count(tenants.length)} files opened read-only and closed, ${FLOOR_THREADS} threads) ${count(readFloor)} ms: next day export / floor ${(exportMs / Math.max(readFloor, 1)).toFixed(2)}`,
);
console.log(
  `file floor, write (${count(tenants.length)} files, one write transaction each, ${FLOOR_THREADS} threads) ${count(writeFloor)} ms: next day write-back / floor ${(nextWriteBack / Math.max(writeFloor, 1)).toFixed(2)}`,
);
const cliMs = med(rfmCli);
const jobMs = med(nightOf(self).map((n) => n.jobs.rfm ?? 0));
const jsMs = med(rfmJs);
console.log(
  `rfm: crm analytics run --job rfm ${count(cliMs)} ms (process, read, job, write-back) vs JavaScript over bun:sqlite ${count(jsMs)} ms (compute only): ratio JS/DuckDB ${(jsMs / cliMs).toFixed(2)}`,
);
console.log(
  `rfm job alone (ledger, DuckDB over the runner's copy) ${count(jobMs)} ms vs JavaScript ${count(jsMs)} ms: ratio JS/DuckDB ${(jsMs / Math.max(jobMs, 1)).toFixed(2)}`,
);
console.log(
  `reproduce: bun scripts/bench/analytics-run.ts --tenants ${TENANTS} --interactions ${PER_TENANT} --rounds ${ROUNDS}${REFERENCE ? ` --reference ${REFERENCE}` : ""}`,
);
