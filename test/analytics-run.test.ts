/**
 * `crm analytics run` as an operator meets it, in its own process over a real data directory
 * and warehouse: one job at a time, the ledger and `crm analytics status`, a corrupt or missing
 * Parquet file (the job fails naming it and the previous results stay), the one-run lock (a
 * live run refuses a second one; a crashed run's row is taken over), and bad flags.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bucketFolder, bucketOf } from "../jobs/export/warehouse-layout.ts";
import { nightlyRunDate } from "../src/analytics/nightly-scheduler.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { latestRun, listRuns, startRun } from "../src/tenancy/analytics-ledger.ts";
import { Catalog } from "../src/tenancy/catalog.ts";
import { listed } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const ANCHOR = Date.UTC(2026, 10, 30, 12);
const dir = tempDir("crm-analytics-run-");
const warehouse = join(dir.path, "warehouse");
let soloFile = "";
let soloId = "";

function crm(args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync(["node_modules/.bin/bun", "src/cli.ts", ...args, "--data", dir.path], {
    env: { ...process.env, CRM_ANALYTICS_THREADS: "2", CRM_ANALYTICS_MEMORY: "512MB", ...env },
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function withCatalog<T>(fn: (catalog: Catalog) => T): T {
  const catalog = Catalog.open(dir.path);
  try {
    return fn(catalog);
  } finally {
    catalog.close();
  }
}

function read<T>(sql: string): T[] {
  const db = new Database(soloFile, { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

const freshness = () =>
  read<{ job: string; run_date: string }>("SELECT job, run_date FROM analytics_freshness ORDER BY job");

beforeAll(async () => {
  const data = new DataDir(dir.path);
  try {
    for (const [slug, contacts] of [
      ["solo", 40],
      ["duo", 20],
    ] as const) {
      const tenant = await data.tenant(slug);
      await data.shards.use(tenant, (shard) => seedTenant(shard, { contacts, seed: 5, anchorMs: ANCHOR }));
      if (slug === "solo") {
        soloFile = join(dir.path, tenant.file);
        soloId = tenant.id;
      }
    }
  } finally {
    data.close();
  }
  const exported = crm(["analytics", "export"]);
  expect({ code: exported.code, stderr: exported.stderr }).toMatchObject({ code: 0 });
}, 60_000);

afterAll(() => dir.remove());

/** The interactions part of the workspace's bucket that the manifest lists. */
function soloPart(): string {
  const folder = `interactions/${bucketFolder(bucketOf(soloId))}/`;
  const parts = listed(warehouse, "interactions").filter((f) => f.startsWith(folder));
  expect(parts.length).toBeGreaterThanOrEqual(1);
  return join(warehouse, parts[0] as string);
}

describe("crm analytics run", () => {
  it("runs every job, then --job NAME runs that one only, and status prints the ledger", () => {
    const full = crm(["analytics", "run", "--date", "2026-11-27", "--warehouse", warehouse]);
    expect({ code: full.code, stderr: full.stderr }).toMatchObject({ code: 0 });
    expect(full.stdout).toMatch(/run \d+ for 2026-11-27 succeeded/);
    expect(freshness().map((f) => f.run_date)).toEqual(Array(5).fill("2026-11-27"));

    const one = crm(["analytics", "run", "--date", "2026-11-28", "--job", "rfm"]);
    expect({ code: one.code, stderr: one.stderr }).toMatchObject({ code: 0 });
    expect(freshness()).toEqual([
      { job: "churn", run_date: "2026-11-27" },
      { job: "cohorts", run_date: "2026-11-27" },
      { job: "funnel", run_date: "2026-11-27" },
      { job: "heatmap", run_date: "2026-11-27" },
      { job: "rfm", run_date: "2026-11-28" },
    ]);
    // A row's run_date is the run that last changed it: the rows the second day left alone keep the first's.
    const dates = read<{ run_date: string }>("SELECT DISTINCT run_date FROM analytics_rfm ORDER BY 1");
    expect(dates.length).toBeGreaterThan(0);
    for (const { run_date } of dates) expect(["2026-11-27", "2026-11-28"]).toContain(run_date);
    const run = withCatalog(latestRun);
    expect(Object.keys(run?.jobs ?? {})).toEqual(["rfm"]);
    expect(run?.status).toBe("succeeded");

    const status = crm(["analytics", "status", "--usage"]);
    expect({ code: status.code, stderr: status.stderr }).toMatchObject({ code: 0 });
    expect(status.stdout).toContain(`run ${run?.id}  2026-11-28  manual  succeeded`);
    expect(status.stdout).toMatch(/run \d+ {2}2026-11-27 {2}manual {2}succeeded/);
    for (const job of ["rfm", "cohorts", "funnel", "heatmap", "churn", "usage"])
      expect(status.stdout).toMatch(new RegExp(`  ${job} +succeeded +[\\d,]+ rows +\\d+ ms`));
    expect(status.stdout).toMatch(/solo +\d+ +\d+ +\d+ +\d+/);
    expect(status.stdout).toMatch(/duo +\d+ +\d+ +\d+ +\d+/);
  }, 60_000);

  it("counts the interactions exported since the last run (the runner reads only the new files)", async () => {
    const [contact] = read<{ contact_id: number; frequency: number }>(
      "SELECT contact_id, frequency FROM analytics_rfm ORDER BY contact_id LIMIT 1",
    );
    expect(contact?.frequency).toBeGreaterThan(0);
    const data = new DataDir(dir.path);
    try {
      await data.shards.use(data.get("solo"), (shard) => {
        for (const hour of [9, 10, 11])
          shard
            .statement(
              "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id) VALUES (?, 'system', NULL, 'email', 'contact', ?)",
            )
            .run(Date.UTC(2026, 10, 28, hour), contact?.contact_id as number);
      });
    } finally {
      data.close();
    }
    const next = crm(["analytics", "run", "--date", "2026-11-28", "--job", "rfm"]);
    expect({ code: next.code, stderr: next.stderr }).toMatchObject({ code: 0 });
    expect(
      read(
        `SELECT last_day, frequency, run_date FROM analytics_rfm WHERE contact_id = ${contact?.contact_id}`,
      ),
    ).toEqual([
      { last_day: "2026-11-28", frequency: (contact?.frequency as number) + 3, run_date: "2026-11-28" },
    ]);
  }, 60_000);

  it("fails a job over a corrupt partition, naming the file, and keeps the previous results", () => {
    const before = read("SELECT * FROM analytics_rfm ORDER BY contact_id");
    const cohortsBefore = read("SELECT * FROM analytics_cohorts ORDER BY cohort_month, month_offset");
    const freshBefore = freshness();
    expect(before.length).toBeGreaterThan(10);
    const part = soloPart();
    const original = readFileSync(part);
    writeFileSync(part, Buffer.concat([original.subarray(0, 40), Buffer.from("not parquet any more")]));
    try {
      const failed = crm(["analytics", "run", "--date", "2026-11-29", "--skip-export"]);
      expect({ code: failed.code, stderr: failed.stderr }).toMatchObject({ code: 1 });
      expect(failed.stdout).toContain(part);
      expect(failed.stdout).toMatch(/rfm +failed/);
      expect(failed.stdout).toMatch(/run \d+ for 2026-11-29 failed/);
      expect(read("SELECT * FROM analytics_rfm ORDER BY contact_id")).toEqual(before);
      expect(read("SELECT * FROM analytics_cohorts ORDER BY cohort_month, month_offset")).toEqual(
        cohortsBefore,
      );
      expect(freshness()).toEqual(freshBefore);
      const run = withCatalog(latestRun);
      expect(run?.status).toBe("failed");
      expect(run?.error).toContain("job rfm failed");
      expect(run?.error).toContain(part);
      expect(run?.jobs.rfm?.status).toBe("failed");
    } finally {
      writeFileSync(part, original);
    }
  }, 60_000);

  it("fails over a missing partition the export recorded, naming it, and writes nothing", () => {
    const before = read("SELECT * FROM analytics_churn ORDER BY company_id");
    const part = soloPart();
    renameSync(part, `${part}.away`);
    try {
      const failed = crm(["analytics", "run", "--date", "2026-11-29", "--job", "churn", "--skip-export"]);
      expect({ code: failed.code, stderr: failed.stderr }).toMatchObject({ code: 1 });
      expect(failed.stdout).toContain(`missing warehouse file: ${part}`);
      expect(read("SELECT * FROM analytics_churn ORDER BY company_id")).toEqual(before);
    } finally {
      renameSync(`${part}.away`, part);
    }
  }, 60_000);

  it("leaves a workspace whose file stays locked as it was, writes the others, and names it", () => {
    const duo = withCatalog((catalog) => catalog.findBySlug("duo"));
    const duoFile = new Database(join(dir.path, duo?.file as string));
    const before = duoFile.query("SELECT job, run_date FROM analytics_freshness ORDER BY job").all();
    expect(before.length).toBe(5);
    duoFile.run("BEGIN IMMEDIATE");
    let locked: ReturnType<typeof crm>;
    try {
      locked = crm(["analytics", "run", "--date", "2026-11-30", "--job", "cohorts", "--skip-export"]);
    } finally {
      duoFile.run("ROLLBACK");
    }
    expect({ code: locked.code, stderr: locked.stderr }).toMatchObject({ code: 1 });
    expect(locked.stdout).toContain("workspace duo not written: database is locked");

    expect(duoFile.query("SELECT job, run_date FROM analytics_freshness ORDER BY job").all()).toEqual(before);
    duoFile.close();
    expect(freshness().find((f) => f.job === "cohorts")?.run_date).toBe("2026-11-30");
    const run = withCatalog(latestRun);
    expect(run?.status).toBe("failed");
    expect(run?.error).toContain("workspace duo not written");

    // The same run once the lock is gone writes it. Against it, the locked run waited six
    // attempts of 250 ms per statement with pauses of 0.1 to 1.6 s (about 5 s), not SQLite's
    // default 5 s per statement (over 30 s): timers, whatever the machine's speed.
    const free = crm(["analytics", "run", "--date", "2026-11-30", "--job", "cohorts", "--skip-export"]);
    expect({ code: free.code, stderr: free.stderr }).toMatchObject({ code: 0 });
    const duoAfter = new Database(join(dir.path, duo?.file as string), { readonly: true });
    expect(duoAfter.query("SELECT run_date FROM analytics_freshness WHERE job = 'cohorts'").get()).toEqual({
      run_date: "2026-11-30",
    });
    duoAfter.close();
    const took = (out: string) =>
      Number(/^run \d+ for \S+ \w+ in ([\d,]+) ms$/m.exec(out)?.[1]?.replaceAll(",", ""));
    expect(took(free.stdout)).toBeGreaterThan(0);
    expect(took(locked.stdout) - took(free.stdout)).toBeLessThan(20_000);
  }, 90_000);

  it("refuses a second run while one is alive, and takes over the row of a run whose process died", async () => {
    const sleeper = Bun.spawn(["sleep", "120"]);
    const held = withCatalog((catalog) =>
      startRun(catalog, { runDate: "2026-11-29", trigger: "nightly", pid: sleeper.pid }),
    );
    const runsBefore = withCatalog((catalog) => listRuns(catalog, 100).length);
    const refused = crm(["analytics", "run", "--date", "2026-11-29", "--job", "heatmap"]);
    expect({ code: refused.code, stderr: refused.stderr }).toMatchObject({ code: 2 });
    expect(refused.stderr).toContain(
      `an analytics run is already in progress (run ${held.id} for 2026-11-29, process ${sleeper.pid}`,
    );
    expect(withCatalog((catalog) => listRuns(catalog, 100).length)).toBe(runsBefore);

    sleeper.kill(9);
    await sleeper.exited;
    const taken = crm(["analytics", "run", "--date", "2026-11-29", "--job", "heatmap"]);
    expect({ code: taken.code, stderr: taken.stderr }).toMatchObject({ code: 0 });
    const runs = withCatalog((catalog) => listRuns(catalog, 100));
    const crashed = runs.find((r) => r.id === held.id);
    expect(crashed?.status).toBe("failed");
    expect(crashed?.error).toContain(`its process (${sleeper.pid}) stopped before the run finished`);
    expect(runs[0]?.status).toBe("succeeded");
    expect(runs.filter((r) => r.status === "running")).toEqual([]);
  }, 60_000);

  it("--nightly runs for the day that has just ended in the host's time zone; an explicit --date stays", () => {
    // UTC−12: yesterday there is never today in UTC, whatever the hour.
    const zone = "Etc/GMT+12";
    const before = Date.now();
    const nightly = crm(["analytics", "run", "--nightly", "--job", "usage", "--skip-export"], { TZ: zone });
    const after = Date.now();
    expect({ code: nightly.code, stderr: nightly.stderr }).toMatchObject({ code: 0 });
    const run = withCatalog(latestRun);
    expect(run?.trigger).toBe("nightly");
    expect([nightlyRunDate(before, zone), nightlyRunDate(after, zone)]).toContain(run?.runDate as string);
    expect(nightly.stdout).toContain(`run ${run?.id} for ${run?.runDate} succeeded`);

    const dated = crm(
      ["analytics", "run", "--nightly", "--date", "2026-11-29", "--job", "usage", "--skip-export"],
      {
        TZ: zone,
      },
    );
    expect({ code: dated.code, stderr: dated.stderr }).toMatchObject({ code: 0 });
    expect(withCatalog(latestRun)).toMatchObject({ trigger: "nightly", runDate: "2026-11-29" });
  }, 60_000);

  it("refuses bad flags and settings with a message naming them, and records no run", () => {
    const runsBefore = withCatalog((catalog) => listRuns(catalog, 100).length);
    const cases: [string[], Record<string, string>, string][] = [
      [
        ["--job", "revenue"],
        {},
        '--job must be one of rfm, cohorts, funnel, heatmap, churn, usage; got "revenue"',
      ],
      [["--date", "2026-02-30"], {}, '--date must be a day as YYYY-MM-DD, got "2026-02-30"'],
      [[], { CRM_ANALYTICS_MEMORY: "lots" }, "CRM_ANALYTICS_MEMORY must be a size"],
      [[], { CRM_ANALYTICS_THREADS: "0" }, "CRM_ANALYTICS_THREADS must be an integer from 1 to 1024"],
    ];
    for (const [flags, env, message] of cases) {
      const result = crm(["analytics", "run", ...flags], env);
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 2 });
      expect(result.stderr).toContain(message);
    }
    expect(withCatalog((catalog) => listRuns(catalog, 100).length)).toBe(runsBefore);
  }, 60_000);
});
