/**
 * The nightly write-back writes only the rows that changed since it last wrote a workspace, and
 * only where the file still holds what it wrote (jobs/run/write-results.ts, written-results.ts,
 * write-back.ts): with the real commands over real files and DuckDB, a few new interactions
 * change a few rows (the others keep the run that wrote them), and the tables always equal a
 * full write; a file put back from a backup, a deleted runner cache, an erased contact whose
 * row the app removed, and a run killed in the middle of its write-back all end with the full
 * results and no row back for the erased contact.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { erasePerson } from "../src/privacy/erase-person.ts";
import { CLI, crm, seedWorkspaces } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-delta-");
const runner = join(dir.path, "warehouse", "_runner");
const TABLES = [
  "analytics_rfm",
  "analytics_cohorts",
  "analytics_funnel",
  "analytics_heatmap",
  "analytics_churn",
];
const files: Record<string, string> = {};

function read<T>(slug: string, sql: string): T[] {
  const db = new Database(files[slug] as string, { readonly: true });
  try {
    // A run writing the file may hold it for a moment (the checkpoint as it closes it): wait,
    // as the app's readers do, rather than fail the read.
    db.run("PRAGMA busy_timeout = 5000");
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Every result table of the workspace, rows without their run_date, in key order. */
const results = (slug: string) =>
  TABLES.map((table) =>
    read<Record<string, unknown>>(slug, `SELECT * FROM ${table} ORDER BY 1, 2, 3`).map(
      ({ run_date: _, ...row }) => row,
    ),
  );

type RfmRow = { contact_id: number; last_day: string; frequency: number; r_score: number; run_date: string };
const rfm = (slug: string) => read<RfmRow>(slug, "SELECT * FROM analytics_rfm ORDER BY contact_id");
const marks = (slug: string) =>
  read<{ job: string; write_id: string }>(slug, "SELECT job, write_id FROM analytics_freshness ORDER BY job");

async function ok(args: string[], env: Record<string, string> = {}) {
  const result = await crm(dir.path, args, env);
  expect({ args, code: result.code, stdout: result.stdout, stderr: result.stderr }).toMatchObject({
    code: 0,
  });
  return result;
}
const run = (date: string, ...extra: string[]) => ok(["analytics", "run", "--date", date, ...extra]);

/** Interactions about the workspace's first contacts, logged on `day` through the app's shard. */
async function touch(slug: string, contacts: number, day: string): Promise<number[]> {
  const data = new DataDir(dir.path);
  try {
    return await data.shards.use(data.get(slug), (shard) =>
      shard.transaction(() => {
        const ids = (
          shard
            .statement("SELECT contact_id FROM analytics_rfm ORDER BY contact_id LIMIT ?")
            .values(contacts) as number[][]
        ).map((r) => r[0] as number);
        for (const id of ids)
          shard
            .statement(
              "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id) VALUES (?, 'system', NULL, 'email', 'contact', ?)",
            )
            .run(Date.parse(`${day}T10:00:00Z`), id);
        return ids;
      }),
    );
  } finally {
    data.close();
  }
}

/** Every workspace's results as a write of all their rows gives them: the runner's record deleted first. */
async function fullWrite(date: string) {
  for (const file of ["cache.duckdb", "cache.duckdb.wal"]) rmSync(join(runner, file), { force: true });
  await run(date, "--skip-export");
  for (const slug of Object.keys(files)) {
    // Written in full: every row says this run wrote it.
    expect(read(slug, "SELECT DISTINCT run_date FROM analytics_rfm")).toEqual([{ run_date: date }]);
  }
  return Object.fromEntries(Object.keys(files).map((slug) => [slug, results(slug)]));
}

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "solo", contacts: 40 },
    { slug: "duo", contacts: 25 },
  ]);
  const data = new DataDir(dir.path);
  try {
    for (const tenant of data.catalog.list()) files[tenant.slug] = join(dir.path, tenant.file);
  } finally {
    data.close();
  }
  await run("2026-01-20");
}, 60_000);

afterAll(() => dir.remove());

describe("the write-back of the rows that changed", () => {
  it("writes only the rows a few new interactions changed, leaving the tables as a full write leaves them", async () => {
    const before = rfm("solo");
    const duoBefore = rfm("duo");
    expect(before.length).toBeGreaterThan(20);
    const touched = await touch("solo", 2, "2026-01-21");
    await run("2026-01-21");

    const after = rfm("solo");
    expect(after.length).toBe(before.length);
    for (const row of after) {
      const old = before.find((r) => r.contact_id === row.contact_id);
      const { run_date: oldDate, ...oldValues } = old ?? ({} as RfmRow);
      const { run_date: newDate, ...newValues } = row;
      // A row keeps the run that wrote it unless its numbers changed.
      expect({ id: row.contact_id, run_date: newDate }).toEqual({
        id: row.contact_id,
        run_date: JSON.stringify(newValues) === JSON.stringify(oldValues) ? oldDate : "2026-01-21",
      });
    }
    for (const id of touched)
      expect(after.find((r) => r.contact_id === id)).toMatchObject({
        last_day: "2026-01-21",
        run_date: "2026-01-21",
      });
    const rewritten = after.filter((r) => r.run_date === "2026-01-21").length;
    expect(rewritten).toBeGreaterThanOrEqual(touched.length);
    expect(rewritten).toBeLessThan(after.length / 2);
    // Nothing new there: its rows stay as written, and its freshness says the new day.
    expect(rfm("duo").filter((r) => r.run_date === "2026-01-21").length).toBeLessThan(duoBefore.length / 2);
    expect(read("duo", "SELECT DISTINCT run_date FROM analytics_freshness")).toEqual([
      { run_date: "2026-01-21" },
    ]);

    const delta = Object.fromEntries(Object.keys(files).map((slug) => [slug, results(slug)]));
    // A deleted runner cache: every workspace is written in full, to the same tables.
    expect(await fullWrite("2026-01-21")).toEqual(delta);
  }, 120_000);

  it("writes a file put back from a backup in full, even on the day it was last written", async () => {
    const backup = join(dir.path, "solo-backup.sqlite");
    const db = new Database(files.solo as string);
    db.run(`VACUUM INTO '${backup}'`);
    db.close();
    await touch("solo", 3, "2026-01-22");
    await run("2026-01-22");
    const written = results("solo");
    const marksWritten = marks("solo");

    // The backup, older than the last write, put back: its results are the day before's.
    for (const suffix of ["-wal", "-shm"]) rmSync(`${files.solo}${suffix}`, { force: true });
    copyFileSync(backup, files.solo as string);
    expect(results("solo")).not.toEqual(written);
    // The same day again, nothing new in the warehouse: without the check it would be left alone.
    await run("2026-01-22", "--skip-export");
    expect(results("solo")).toEqual(written);
    expect(marks("solo")).not.toEqual(marksWritten);
    expect(read("solo", "SELECT DISTINCT run_date FROM analytics_rfm")).toEqual([{ run_date: "2026-01-22" }]);
  }, 120_000);

  it("never writes back the row of a contact erased after the export (their row goes with them)", async () => {
    await run("2026-01-23");
    const [erased] = await touch("solo", 1, "2026-01-23");
    await ok(["analytics", "export"]);
    // Erased after the export (the warehouse still has them), their RFM row removed with them.
    const data = new DataDir(dir.path);
    try {
      await data.shards.use(data.get("solo"), (shard) => {
        erasePerson(shard, SYSTEM_ACTOR, erased as number);
      });
    } finally {
      data.close();
    }
    expect(read("solo", `SELECT * FROM analytics_rfm WHERE contact_id = ${erased}`)).toEqual([]);
    await run("2026-01-24", "--skip-export");
    expect(read("solo", `SELECT * FROM analytics_rfm WHERE contact_id = ${erased}`)).toEqual([]);
    // And once the warehouse knows, the next run leaves the tables as a full write does.
    await run("2026-01-25");
    const delta = results("solo");
    expect((await fullWrite("2026-01-25")).solo).toEqual(delta);
    expect(read("solo", `SELECT * FROM analytics_rfm WHERE contact_id = ${erased}`)).toEqual([]);
  }, 120_000);

  it("leaves every file whole when killed during its write-back, and the next run converges", async () => {
    await touch("solo", 2, "2026-01-26");
    await touch("duo", 2, "2026-01-26");
    await ok(["analytics", "export"]);
    const duoBefore = read("duo", "SELECT DISTINCT run_date FROM analytics_freshness");
    expect(duoBefore).not.toContainEqual({ run_date: "2026-01-26" });
    // Duo is held locked: its writer thread waits on it while the other writes solo; killed then.
    const duo = new Database(files.duo as string);
    duo.run("BEGIN IMMEDIATE");
    const proc = Bun.spawn(
      [process.execPath, CLI, "analytics", "run", "--date", "2026-01-26", "--skip-export"],
      {
        env: { ...process.env, CRM_DATA: dir.path, CRM_ANALYTICS_THREADS: "1", CRM_ANALYTICS_WRITERS: "2" },
        stdout: "ignore",
        stderr: "ignore",
      },
    );
    try {
      const deadline = Date.now() + 30_000;
      while (
        read<{ d: string }>("solo", "SELECT max(run_date) AS d FROM analytics_freshness")[0]?.d !==
        "2026-01-26"
      ) {
        expect(Date.now()).toBeLessThan(deadline);
        await Bun.sleep(20);
      }
      proc.kill(9);
      await proc.exited;
      // Killed while it waited for duo, not ended by itself.
      expect({ signal: proc.signalCode, code: proc.exitCode }).toEqual({ signal: "SIGKILL", code: null });
    } finally {
      duo.run("ROLLBACK");
      duo.close();
    }
    // Solo holds the new results, duo the old ones, each whole.
    expect(read("duo", "SELECT DISTINCT run_date FROM analytics_freshness")).toEqual(duoBefore);
    await run("2026-01-26", "--skip-export");
    const converged = Object.fromEntries(Object.keys(files).map((slug) => [slug, results(slug)]));
    expect(await fullWrite("2026-01-26")).toEqual(converged);
  }, 120_000);
});
