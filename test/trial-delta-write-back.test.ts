/**
 * Trial of the delta write-back (jobs/run/write-results.ts, written-results.ts, write-back.ts)
 * and the runner's copy of the warehouse (jobs/run/warehouse-cache.ts), attacked as an
 * operator, a hostile tenant and a crashing machine would. The promise under test: after any
 * sequence of events, every workspace's analytics tables equal what a clean full run over the
 * same data writes (the same data dir and warehouse copied, `_runner/` deleted, one run with
 * the same --date), rows compared without their run_date (ADR 0009: "the run that last changed
 * it"), freshness compared by job, day and row count; and a page never sees a mix (each job's
 * freshness row counts the rows its table holds, all jobs for one day).
 * Each case copies a seeded base (three workspaces, a first run done) and uses the real CLI.
 * A defect is an `it.skip("DEFECT: …")` asserting the right behaviour.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  copyFileSync,
  cpSync,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { deleteCompany } from "../src/companies/delete-company.ts";
import { deleteContact } from "../src/contacts/delete-contact.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { recordInteraction } from "../src/interactions/record-interaction.ts";
import { mergeContacts } from "../src/merge/merge-contacts.ts";
import { erasePerson } from "../src/privacy/erase-person.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { CLI, crm, listed, query, seedWorkspaces } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const JOB_TABLE: Record<string, string> = {
  rfm: "analytics_rfm",
  cohorts: "analytics_cohorts",
  funnel: "analytics_funnel",
  heatmap: "analytics_heatmap",
  churn: "analytics_churn",
};
const TABLES = Object.values(JOB_TABLE);
const DAY1 = "2026-01-20";

const base = tempDir("crm-trial-delta-base-");
const made: { remove(): void }[] = [];

/** A copy of `from` (data dir, warehouse, runner cache), nothing running on it. */
function clone(from: string): string {
  const dir = tempDir("crm-trial-delta-");
  made.push(dir);
  cpSync(from, dir.path, { recursive: true });
  return dir.path;
}

async function ok(dir: string, args: string[], env: Record<string, string> = {}) {
  const result = await crm(dir, args, env);
  expect({ args, code: result.code, stdout: result.stdout, stderr: result.stderr }).toMatchObject({
    code: 0,
  });
  return result;
}
const run = (dir: string, date: string, ...extra: string[]) =>
  ok(dir, ["analytics", "run", "--date", date, ...extra]);

/** The catalog's workspaces: slug → file path. */
function workspaces(dir: string): Record<string, string> {
  const db = new Database(join(dir, "catalog.sqlite"), { readonly: true });
  try {
    const rows = db.query("SELECT slug, file FROM tenants ORDER BY slug").all() as {
      slug: string;
      file: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.slug, join(dir, r.file)]));
  } finally {
    db.close();
  }
}

function readAll<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** One workspace's analytics as a page could read them: the tables without run_date, and freshness. */
function analytics(file: string) {
  const tables = Object.fromEntries(
    TABLES.map((t) => [
      t,
      readAll<Record<string, unknown>>(file, `SELECT * FROM ${t} ORDER BY 1, 2, 3`).map(
        ({ run_date: _, ...row }) => row,
      ),
    ]),
  );
  const freshness = readAll(file, "SELECT job, run_date, rows FROM analytics_freshness ORDER BY job");
  return { tables, freshness };
}

/** Every workspace's analytics (`slugs`: only these). */
function state(dir: string, slugs?: string[]) {
  const all = workspaces(dir);
  return Object.fromEntries(
    Object.entries(all)
      .filter(([slug]) => !slugs || slugs.includes(slug))
      .map(([slug, file]) => [slug, analytics(file)]),
  );
}

/** What a clean full run writes over the same data: a copy, its runner folder deleted, one run. */
async function clean(dir: string, date: string, warehouse = join(dir, "warehouse")) {
  const copy = clone(dir);
  const copiedWarehouse = warehouse.startsWith(dir) ? copy + warehouse.slice(dir.length) : join(copy, "wh");
  if (!warehouse.startsWith(dir)) cpSync(warehouse, copiedWarehouse, { recursive: true });
  rmSync(join(copiedWarehouse, "_runner"), { recursive: true, force: true });
  await run(copy, date, "--skip-export", "--warehouse", copiedWarehouse);
  return state(copy);
}

/**
 * A page's view is consistent: in one read transaction, each job's freshness row counts its
 * table's rows, and every job is for one day.
 */
function expectWhole(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    db.run("PRAGMA busy_timeout = 2000");
    db.run("BEGIN");
    const fresh = db.query("SELECT job, run_date, rows FROM analytics_freshness").all() as {
      job: string;
      run_date: string;
      rows: number;
    }[];
    const counted = fresh.map((f) => ({
      job: f.job,
      rows: (db.query(`SELECT count(*) AS n FROM ${JOB_TABLE[f.job]}`).get() as { n: number }).n,
    }));
    db.run("COMMIT");
    expect(counted).toEqual(fresh.map(({ job, rows }) => ({ job, rows })));
    expect(new Set(fresh.map((f) => f.run_date)).size).toBeLessThanOrEqual(1);
  } finally {
    db.close();
  }
}

async function withShard<T>(dir: string, slug: string, fn: (shard: Shard) => T): Promise<T> {
  const data = new DataDir(dir);
  try {
    return await data.shards.use(data.get(slug), fn);
  } finally {
    data.close();
  }
}

/** New calls by the workspace's owner about its first `contacts` contacts on `day` (RFM and heatmap change). */
function touch(dir: string, slug: string, contacts: number, day: string): Promise<number[]> {
  return withShard(dir, slug, (shard) =>
    shard.transaction(() => {
      const owner = shard.statement("SELECT min(id) AS id FROM users").get() as { id: number };
      const ids = (
        shard.statement("SELECT id FROM contacts ORDER BY id LIMIT ?").values(contacts) as number[][]
      ).map((r) => r[0] as number);
      for (const id of ids)
        recordInteraction(shard, {
          actor: { type: "user", id: owner.id, role: "owner" },
          kind: "call.logged",
          subjectType: "contact",
          subjectId: id,
          occurredAt: Date.parse(`${day}T10:00:00Z`),
        });
      return ids;
    }),
  );
}

/** `crm analytics run` started in the background, its progress lines (stderr) gathered as they come. */
function startRun(dir: string, date: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, CLI, "analytics", "run", "--date", date], {
    env: { ...process.env, CRM_DATA: dir, CRM_ANALYTICS_THREADS: "1", ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const seen = { text: "" };
  const done = (async () => {
    for await (const chunk of proc.stderr) seen.text += new TextDecoder().decode(chunk);
  })();
  return { proc, progress: () => seen.text, exited: async () => (await Promise.all([proc.exited, done]))[0] };
}

/** The one number a query of one row and column `id` gives. */
const idOf = (file: string, query: string) => readAll<{ id: number }>(file, query)[0]?.id as number;

function sql(file: string, text: string, ...params: (string | number | null)[]) {
  const db = new Database(file);
  try {
    db.run("PRAGMA busy_timeout = 2000");
    db.query(text).run(...params);
  } finally {
    db.close();
  }
}

/** Copies a workspace's file with its WAL away (nothing running). */
function backup(file: string, to: string) {
  for (const suffix of ["", "-wal", "-shm"])
    if (existsSync(file + suffix)) copyFileSync(file + suffix, to + suffix);
    else rmSync(to + suffix, { force: true });
}

/**
 * A copy of the base with `slug`'s file backed up (with its WAL, nothing running), then new
 * calls in it and a run on the 21st; `restore` puts the backup back.
 */
async function afterBackup(slug: string) {
  const dir = clone(base.path);
  const files = workspaces(dir);
  const saved = join(dir, `${slug}-backup.sqlite`);
  backup(files[slug] as string, saved);
  await touch(dir, slug, 3, "2026-01-21");
  await run(dir, "2026-01-21");
  return { dir, files, restore: () => backup(saved, files[slug] as string) };
}

beforeAll(async () => {
  await seedWorkspaces(base.path, [
    { slug: "alpha", contacts: 30 },
    { slug: "beta", contacts: 20 },
    { slug: "gamma", contacts: 12 },
  ]);
  await run(base.path, DAY1);
}, 60_000);

afterAll(() => {
  for (const dir of made) dir.remove();
  base.remove();
});

describe("a file put back from a backup", () => {
  it("is written in full when the backup predates the last two runs", async () => {
    const { dir, files, restore } = await afterBackup("alpha");
    await touch(dir, "alpha", 2, "2026-01-22");
    await run(dir, "2026-01-22");
    restore();
    await run(dir, "2026-01-22");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-22"));
    expectWhole(files.alpha as string);
  }, 60_000);
});

/** A copy of the base changed by hand, then one run for `date`: it must write what a clean run writes. */
async function expectRepaired(
  date: string,
  change: (files: Record<string, string>) => void,
  ...extra: string[]
) {
  const dir = clone(base.path);
  change(workspaces(dir));
  await run(dir, date, ...extra);
  expect(state(dir)).toEqual(await clean(dir, date));
}

describe("analytics rows and marks changed by hand", () => {
  it(
    "writes in full after rows were deleted, a freshness row deleted, or a mark forged with the rows short",
    () =>
      expectRepaired(
        DAY1,
        (files) => {
          sql(
            files.alpha as string,
            "DELETE FROM analytics_rfm WHERE contact_id IN (SELECT contact_id FROM analytics_rfm LIMIT 3)",
          );
          sql(files.beta as string, "DELETE FROM analytics_freshness WHERE job = 'cohorts'");
          // Every heatmap row gone, the mark kept: the row count gives it away.
          sql(files.gamma as string, "DELETE FROM analytics_heatmap");
        },
        "--skip-export",
      ),
    60_000,
  );

  it(
    "writes in full after the whole freshness table was emptied and rows edited by hand",
    () =>
      expectRepaired(
        DAY1,
        (files) => {
          sql(files.alpha as string, "DELETE FROM analytics_freshness");
          sql(files.alpha as string, "UPDATE analytics_rfm SET segment = 'Hacked'");
        },
        "--skip-export",
      ),
    60_000,
  );

  it.skip(
    "DEFECT: a result row edited in place by hand (count and mark unchanged) survives every run until its computed values change: UPDATE analytics_rfm SET segment='Hacked' WHERE contact_id=<min>, then `crm analytics run` the next day; a clean run writes the computed row (write-back.ts holds() checks only the mark and count(*); ADR 0009 accepts it)",
    () =>
      expectRepaired("2026-01-21", (files) =>
        sql(
          files.alpha as string,
          "UPDATE analytics_rfm SET segment = 'Hacked', r_score = 9 WHERE contact_id = (SELECT min(contact_id) FROM analytics_rfm)",
        ),
      ),
    60_000,
  );

  it.skip(
    "DEFECT: a row deleted by hand and a forged one inserted (count and mark unchanged) stay so: DELETE one analytics_cohorts row, INSERT one for cohort '1999-01', then `crm analytics run` the next day; the forged row stays and the real one is missing, where a clean run has the real one (write-back.ts holds(): count(*) only)",
    () =>
      expectRepaired("2026-01-21", (files) => {
        sql(
          files.alpha as string,
          "DELETE FROM analytics_cohorts WHERE rowid = (SELECT min(rowid) FROM analytics_cohorts)",
        );
        sql(
          files.alpha as string,
          "INSERT INTO analytics_cohorts (cohort_month, month_offset, cohort_size, active, run_date) VALUES ('1999-01', 0, 999, 999, ?)",
          DAY1,
        );
      }),
    60_000,
  );

  it.skip(
    "DEFECT (forgery): a row edited by hand whose job mark is then put back by hand (UPDATE analytics_freshness SET write_id = <the mark read before>) is never repaired by `crm analytics run`; a clean run has the computed row",
    () =>
      expectRepaired("2026-01-21", (files) => {
        const file = files.beta as string;
        const mark = readAll<{ id: string }>(
          file,
          "SELECT write_id AS id FROM analytics_freshness WHERE job = 'churn'",
        )[0]?.id;
        expect(mark).toBeTruthy();
        sql(
          file,
          "UPDATE analytics_churn SET risk = 'high', trend = -1 WHERE company_id = (SELECT min(company_id) FROM analytics_churn)",
        );
        sql(file, "UPDATE analytics_freshness SET write_id = ? WHERE job = 'churn'", mark as string);
      }),
    60_000,
  );
});

describe("records that go between runs", () => {
  it("a person erased, two contacts merged, a company deleted: the next run equals a clean one", async () => {
    const dir = clone(base.path);
    const files = workspaces(dir);
    const rfmIds = readAll<{ id: number }>(
      files.alpha as string,
      "SELECT contact_id AS id FROM analytics_rfm ORDER BY 1",
    );
    const [erased, survivor, duplicate] = rfmIds.map((r) => r.id);
    await withShard(dir, "alpha", (shard) => {
      erasePerson(shard, SYSTEM_ACTOR, erased as number);
      mergeContacts(shard, SYSTEM_ACTOR, {
        survivorId: survivor as number,
        duplicateId: duplicate as number,
        keep: {},
      });
    });
    const company = idOf(files.beta as string, "SELECT company_id AS id FROM analytics_churn ORDER BY 1");
    expect(company).toBeDefined();
    await withShard(dir, "beta", (shard) => deleteCompany(shard, SYSTEM_ACTOR, company as number));
    await run(dir, "2026-01-21");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
    expect(
      readAll(
        files.alpha as string,
        `SELECT 1 FROM analytics_rfm WHERE contact_id IN (${erased}, ${duplicate})`,
      ),
    ).toEqual([]);
    expect(
      readAll(files.beta as string, `SELECT 1 FROM analytics_churn WHERE company_id = ${company}`),
    ).toEqual([]);
  }, 60_000);

  it("every contact deleted: the next run leaves no RFM row, as a clean one", async () => {
    const dir = clone(base.path);
    const files = workspaces(dir);
    await withShard(dir, "gamma", (shard) => {
      const ids = (shard.statement("SELECT id FROM contacts").values() as number[][]).map(
        (r) => r[0] as number,
      );
      for (const id of ids) deleteContact(shard, SYSTEM_ACTOR, id);
    });
    await run(dir, "2026-01-21");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
    expect(readAll(files.gamma as string, "SELECT 1 FROM analytics_rfm")).toEqual([]);
  }, 60_000);

  it("a person erased and a company deleted after the export: a run that does not export again drops their rows, as a clean run does", async () => {
    const dir = clone(base.path);
    const files = workspaces(dir);
    const erased = idOf(files.alpha as string, "SELECT min(contact_id) AS id FROM analytics_rfm");
    const company = idOf(files.beta as string, "SELECT min(company_id) AS id FROM analytics_churn");
    await withShard(dir, "alpha", (shard) => erasePerson(shard, SYSTEM_ACTOR, erased as number));
    await withShard(dir, "beta", (shard) => deleteCompany(shard, SYSTEM_ACTOR, company as number));
    await run(dir, "2026-01-21", "--skip-export");
    expect(
      readAll(files.alpha as string, `SELECT 1 FROM analytics_rfm WHERE contact_id = ${erased}`),
    ).toEqual([]);
    expect(
      readAll(files.beta as string, `SELECT 1 FROM analytics_churn WHERE company_id = ${company}`),
    ).toEqual([]);
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);

  it("a contact deleted while the run computes (after its export, before its write-back waiting on the file) has no RFM row after it", async () => {
    const dir = clone(base.path);
    const files = workspaces(dir);
    const gone = idOf(files.alpha as string, "SELECT max(contact_id) AS id FROM analytics_rfm");
    await touch(dir, "beta", 2, "2026-01-21");
    const holder = new Database(files.alpha as string);
    holder.run("BEGIN IMMEDIATE");
    const { progress, exited } = startRun(dir, "2026-01-21");
    try {
      const deadline = Date.now() + 30_000;
      while (!progress().includes("write-back")) {
        expect(Date.now()).toBeLessThan(deadline);
        await Bun.sleep(10);
      }
      holder.query("DELETE FROM contacts WHERE id = ?").run(gone as number);
      holder.run("COMMIT");
    } finally {
      if (holder.inTransaction) holder.run("ROLLBACK");
      holder.close();
    }
    expect(await exited()).toBe(0);
    expect(readAll(files.alpha as string, `SELECT 1 FROM analytics_rfm WHERE contact_id = ${gone}`)).toEqual(
      [],
    );
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);
});

describe("the runner's cache database", () => {
  for (const [name, damage] of [
    ["deleted", (path: string) => rmSync(path, { force: true })],
    ["truncated to half", (path: string) => truncateSync(path, Math.floor(statSync(path).size / 2))],
    ["replaced by garbage", (path: string) => writeFileSync(path, "not a duckdb file\n".repeat(1000))],
  ] as const)
    it(`${name}: the next run writes what a clean run writes`, async () => {
      const dir = clone(base.path);
      await touch(dir, "beta", 3, "2026-01-21");
      damage(join(dir, "warehouse", "_runner", "cache.duckdb"));
      rmSync(join(dir, "warehouse", "_runner", "cache.duckdb.wal"), { force: true });
      await run(dir, "2026-01-21");
      expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
    }, 60_000);

  it("a garbage write-ahead log beside it: the next run writes what a clean run writes", async () => {
    const dir = clone(base.path);
    await touch(dir, "alpha", 3, "2026-01-21");
    writeFileSync(join(dir, "warehouse", "_runner", "cache.duckdb.wal"), "garbage".repeat(500));
    await run(dir, "2026-01-21");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);

  it("an older copy of it put back (from before two runs): the next run writes what a clean run writes", async () => {
    const dir = clone(base.path);
    const cache = join(dir, "warehouse", "_runner", "cache.duckdb");
    const old = join(dir, "old-cache.duckdb");
    copyFileSync(cache, old);
    await touch(dir, "alpha", 3, "2026-01-21");
    await run(dir, "2026-01-21");
    await touch(dir, "beta", 3, "2026-01-22");
    await run(dir, "2026-01-22");
    copyFileSync(old, cache);
    rmSync(`${cache}.wal`, { force: true });
    await run(dir, "2026-01-22");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-22"));
  }, 60_000);

  it("a copy of an older version (cache_meta.version changed): read again, the same results", async () => {
    const dir = clone(base.path);
    await query(`ATTACH '${join(dir, "warehouse", "_runner", "cache.duckdb")}' AS older`);
    await query("UPDATE older.cache_meta SET version = 3");
    await query("DETACH older");
    await touch(dir, "gamma", 2, "2026-01-21");
    await ok(dir, ["analytics", "run", "--date", "2026-01-21"]);
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);

  it("the warehouse moved to another path (--warehouse): the same results, nothing read twice", async () => {
    const dir = clone(base.path);
    const moved = join(dir, "moved-warehouse");
    renameSync(join(dir, "warehouse"), moved);
    await touch(dir, "alpha", 2, "2026-01-21");
    await ok(dir, ["analytics", "run", "--date", "2026-01-21", "--warehouse", moved]);
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21", moved));
    // The copy holds each listed file once, and the log's rows once.
    const files = listed(moved, "interactions");
    const paths = files.map((f) => `'${join(moved, f)}'`).join(", ");
    const [expected] = await query(
      `SELECT count(*) AS n FROM read_parquet([${paths}], hive_partitioning = false)`,
    );
    await query(`ATTACH '${join(moved, "_runner", "cache.duckdb")}' AS moved_cache (READ_ONLY)`);
    try {
      const [copy] = await query(
        "SELECT (SELECT count(*) FROM moved_cache.cache_interactions) AS n, (SELECT count(*) - count(DISTINCT file) FROM moved_cache.cached_files) AS twice",
      );
      expect(copy).toEqual({ n: expected?.n, twice: "0" });
    } finally {
      await query("DETACH moved_cache");
    }
  }, 60_000);
});

describe("runs that are stopped, overlap or go back", () => {
  it("killed with SIGKILL at random points of many runs, a page never sees a mix, and a normal run converges", async () => {
    const dir = clone(base.path);
    const files = workspaces(dir);
    let kills = 0;
    for (let i = 0; i < 8; i++) {
      const day = `2026-01-${21 + i}`;
      await touch(dir, ["alpha", "beta", "gamma"][i % 3] as string, 3, day);
      const { proc, progress, exited } = startRun(dir, day, { CRM_ANALYTICS_WRITERS: i % 2 ? "0" : "2" });
      // Half the runs are killed at a random moment, half as their write-back starts (plus 0-20 ms).
      const stopAt = Date.now() + 200 + Math.floor(Math.random() * 1500);
      const atWriteBack = i % 4 < 2;
      while (
        proc.exitCode === null &&
        (atWriteBack ? !progress().includes("write-back") : Date.now() < stopAt)
      ) {
        for (const file of Object.values(files)) expectWhole(file);
        await Bun.sleep(atWriteBack ? 2 : 15);
      }
      if (atWriteBack) await Bun.sleep(Math.floor(Math.random() * 20));
      if (proc.exitCode === null) {
        proc.kill(9);
        kills++;
      }
      await exited();
      for (const file of Object.values(files)) expectWhole(file);
    }
    expect(kills).toBeGreaterThan(2);
    await run(dir, "2026-01-28");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-28"));
    for (const file of Object.values(files)) expectWhole(file);
  }, 90_000);

  it("two runs at once: one runs, the other is refused (exit 2, already in progress), and the tables equal a clean run", async () => {
    const dir = clone(base.path);
    await touch(dir, "alpha", 3, "2026-01-21");
    await touch(dir, "gamma", 3, "2026-01-21");
    const [a, b] = await Promise.all([
      crm(dir, ["analytics", "run", "--date", "2026-01-21"]),
      crm(dir, ["analytics", "run", "--date", "2026-01-21"]),
    ]);
    // One runs; the other is refused with why (exit 2), unless it started after the first ended.
    expect([a.code, b.code]).toContain(0);
    for (const r of [a, b])
      if (r.code !== 0)
        expect({ code: r.code, busy: r.stderr.includes("already in progress") }).toEqual({
          code: 2,
          busy: true,
        });
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);

  it("a run for an earlier day after a later one writes that day's results", async () => {
    const dir = clone(base.path);
    await touch(dir, "alpha", 4, "2026-01-22");
    await run(dir, "2026-01-22");
    await run(dir, "2026-01-21", "--skip-export");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);

  it("a run ten months later (rows leave the windows: deleted in place), then back to the next day: the same as a clean run", async () => {
    const dir = clone(base.path);
    await touch(dir, "alpha", 3, "2026-01-21");
    await run(dir, "2026-12-01");
    expect(state(dir)).toEqual(await clean(dir, "2026-12-01"));
    await run(dir, "2026-01-21", "--skip-export");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);

  it("--job rfm alone, then every job: the same as a clean run", async () => {
    const dir = clone(base.path);
    await touch(dir, "beta", 4, "2026-01-21");
    await run(dir, "2026-01-21", "--job", "rfm");
    await touch(dir, "beta", 2, "2026-01-22");
    await run(dir, "2026-01-22");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-22"));
  }, 60_000);

  it("a run whose jobs fail on a damaged Parquet part writes nothing; repaired, the next run equals a clean one", async () => {
    const dir = clone(base.path);
    const warehouse = join(dir, "warehouse");
    await touch(dir, "alpha", 3, "2026-01-21");
    await ok(dir, ["analytics", "export"]);
    const part = listed(warehouse, "interactions").at(-1) as string;
    const path = join(warehouse, part);
    const original = readFileSync(path);
    const before = state(dir);
    writeFileSync(path, Buffer.concat([original.subarray(0, 100), Buffer.alloc(original.length - 100, 7)]));
    const failed = await crm(dir, ["analytics", "run", "--date", "2026-01-21", "--skip-export"]);
    expect(failed.code).not.toBe(0);
    expect(state(dir)).toEqual(before);
    writeFileSync(path, original);
    await run(dir, "2026-01-21", "--skip-export");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);
});

describe("workspaces held, removed or new", () => {
  it("a file locked past the retries is left whole, and the next run writes it", async () => {
    const dir = clone(base.path);
    const files = workspaces(dir);
    await touch(dir, "beta", 5, "2026-01-21");
    const holder = new Database(files.beta as string);
    holder.run("BEGIN IMMEDIATE");
    let result: Awaited<ReturnType<typeof crm>>;
    try {
      result = await crm(dir, ["analytics", "run", "--date", "2026-01-21"]);
    } finally {
      holder.run("ROLLBACK");
      holder.close();
    }
    expect(`${result.stdout}${result.stderr}`).toContain("beta");
    expectWhole(files.beta as string);
    expect(readAll(files.beta as string, "SELECT DISTINCT run_date FROM analytics_freshness")).toEqual([
      { run_date: DAY1 },
    ]);
    await run(dir, "2026-01-21");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);

  it("a workspace taken out of the catalog, its file put back from an old backup, then re-added: written in full", async () => {
    const { dir, restore } = await afterBackup("gamma");
    const catalog = new Database(join(dir, "catalog.sqlite"));
    const row = catalog.query("SELECT * FROM tenants WHERE slug = 'gamma'").get() as Record<
      string,
      string | number | null
    >;
    catalog.query("DELETE FROM tenants WHERE slug = 'gamma'").run();
    catalog.close();
    await run(dir, "2026-01-22");
    restore();
    const back = new Database(join(dir, "catalog.sqlite"));
    const columns = Object.keys(row);
    back
      .query(`INSERT INTO tenants (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`)
      .run(...columns.map((c) => row[c] ?? null));
    back.close();
    await run(dir, "2026-01-22");
    expect(state(dir)).toEqual(await clean(dir, "2026-01-22"));
  }, 60_000);

  it("a brand-new workspace appearing between runs gets its results, the others unchanged", async () => {
    const dir = clone(base.path);
    await seedWorkspaces(dir, [{ slug: "delta", contacts: 9 }]);
    await run(dir, "2026-01-21");
    const after = state(dir);
    expect(Object.keys(after)).toContain("delta");
    expect(after).toEqual(await clean(dir, "2026-01-21"));
  }, 60_000);
});
