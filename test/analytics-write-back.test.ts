/**
 * The nightly run's write-back against the next export, with the real commands over real files:
 * the run's own writes into the workspaces' files never make the next export retake their
 * snapshots, while a user's change always reaches the next export's snapshot (also one made
 * between the export and the write-back); a rerun whose results are unchanged opens no file for
 * writing, and a new day with unchanged results writes only the freshness rows.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { readManifest } from "../jobs/export/manifest.ts";
import { ANCHOR, crm, dimensionGlob, listed, query, seedWorkspaces } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-write-back-");
const warehouse = join(dir.path, "warehouse");
const DAY = "2026-01-20";
let soloId = "";
let soloFile = "";
let duoFile = "";

function readSolo<T>(sql: string): T[] {
  const db = new Database(soloFile, { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

const counter = () => readSolo<{ n: number }>("SELECT change_counter AS n FROM shard_state")[0]?.n;
const snapshotFiles = () =>
  ["contacts", "companies", "deals", "users", "workspace"].flatMap((t) => listed(warehouse, t));

/** A user's change to a contact, through the app's write path (one write transaction). */
async function userTouchesContact(updatedAt: number): Promise<number> {
  const data = new DataDir(dir.path);
  try {
    return await data.shards.use(data.get("solo"), (shard) =>
      shard.transaction(() => {
        const row = shard.statement("SELECT min(id) AS id FROM contacts").get() as { id: number };
        shard.statement("UPDATE contacts SET updated_at = ? WHERE id = ?").run(updatedAt, row.id);
        return row.id;
      }),
    );
  } finally {
    data.close();
  }
}

async function run(args: string[]) {
  const result = await crm(dir.path, ["analytics", "run", "--date", DAY, ...args]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  return result;
}

async function exportOnce() {
  const result = await crm(dir.path, ["analytics", "export"]);
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
}

async function warehouseUpdatedAt(contactId: number): Promise<string | undefined> {
  const rows = await query(
    `SELECT epoch_ms(updated_at) AS updated_at FROM ${dimensionGlob(warehouse, "contacts")} WHERE tenant = '${soloId}' AND id = ${contactId}`,
  );
  return rows[0] === undefined ? undefined : String(rows[0].updated_at);
}

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "solo", contacts: 30 },
    { slug: "duo", contacts: 20 },
  ]);
  const data = new DataDir(dir.path);
  try {
    const solo = data.get("solo");
    soloId = solo.id;
    soloFile = join(dir.path, solo.file);
    duoFile = join(dir.path, data.get("duo").file);
  } finally {
    data.close();
  }
}, 60_000);

afterAll(() => dir.remove());

describe("the nightly run's write-back and the next export", () => {
  it("does not make the next export retake snapshots, and records the file's counter after its own write", async () => {
    await run([]);
    expect(readSolo("SELECT * FROM analytics_freshness").length).toBeGreaterThan(0);
    const before = snapshotFiles();
    expect(before.length).toBeGreaterThan(0);
    // The write-back bumped the counter; the manifest says the snapshots are of that state.
    expect(readManifest(warehouse)?.tenants[soloId]?.snapshotOf?.split("/")[0]).toBe(String(counter()));
    await exportOnce();
    expect(snapshotFiles()).toEqual(before);
  }, 120_000);

  it("always puts a user's change in the next export's snapshot, also one made before the write-back", async () => {
    // Made after the export and before the write-back of a run that does not export first.
    const contactId = await userTouchesContact(ANCHOR + 111_000);
    // Another day, so the write-back writes this workspace (its freshness at least).
    const counterBefore = counter();
    const between = await crm(dir.path, ["analytics", "run", "--date", "2026-01-19", "--skip-export"]);
    expect(between.code).toBe(0);
    expect(counter()).toBe((counterBefore ?? 0) + 1);
    await exportOnce();
    expect(await warehouseUpdatedAt(contactId)).toBe(String(ANCHOR + 111_000));
    // And one made after a whole run.
    await run([]);
    await userTouchesContact(ANCHOR + 222_000);
    await exportOnce();
    expect(await warehouseUpdatedAt(contactId)).toBe(String(ANCHOR + 222_000));
  }, 180_000);

  it("rewrites no workspace file when the results are unchanged, and only the freshness when the day changed", async () => {
    await run(["--skip-export"]);
    const counterBefore = counter();
    const freshnessBefore = readSolo<{ job: string; computed_at: number }>(
      "SELECT job, computed_at FROM analytics_freshness ORDER BY job",
    );
    const rfmBefore = readSolo("SELECT * FROM analytics_rfm ORDER BY contact_id");
    await run(["--skip-export"]);
    expect(counter()).toBe(counterBefore);
    expect(
      readSolo<{ job: string; computed_at: number }>(
        "SELECT job, computed_at FROM analytics_freshness ORDER BY job",
      ),
    ).toEqual(freshnessBefore);

    // Another day whose results are the same rows: the pages say they are computed for it.
    const next = await crm(dir.path, [
      "analytics",
      "run",
      "--date",
      "2026-01-21",
      "--skip-export",
      "--job",
      "heatmap",
    ]);
    expect(next.code).toBe(0);
    expect(
      readSolo<{ run_date: string }>("SELECT run_date FROM analytics_freshness WHERE job = 'heatmap'"),
    ).toEqual([{ run_date: "2026-01-21" }]);
    expect(readSolo("SELECT * FROM analytics_rfm ORDER BY contact_id")).toEqual(rfmBefore);
    const files = snapshotFiles();
    await exportOnce();
    expect(snapshotFiles()).toEqual(files);
  }, 180_000);

  it("writes every workspace with two writer threads as with one, and refuses a bad CRM_ANALYTICS_WRITERS", async () => {
    const bad = await crm(dir.path, ["analytics", "run", "--skip-export"], { CRM_ANALYTICS_WRITERS: "-1" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('CRM_ANALYTICS_WRITERS must be an integer from 0 to 64, got "-1"');
    const everything = () =>
      [soloFile, duoFile].map((file) => {
        const db = new Database(file, { readonly: true });
        try {
          return [
            "SELECT * FROM analytics_rfm",
            "SELECT * FROM analytics_cohorts",
            "SELECT * FROM analytics_heatmap",
            "SELECT * FROM analytics_churn",
            "SELECT job, run_date, rows FROM analytics_freshness",
          ].map((sql) => (db.query(sql).all() as unknown[]).map((r) => JSON.stringify(r)).sort());
        } finally {
          db.close();
        }
      });
    const runWith = async (writers: string) => {
      // Nothing remembered as written (the runner's database is a cache): every workspace is written in full.
      for (const file of ["cache.duckdb", "cache.duckdb.wal"])
        rmSync(join(warehouse, "_runner", file), { force: true });
      const result = await crm(dir.path, ["analytics", "run", "--date", "2026-01-22"], {
        CRM_ANALYTICS_WRITERS: writers,
      });
      expect({ code: result.code, stdout: result.stdout }).toMatchObject({ code: 0 });
      return everything();
    };
    const two = await runWith("2");
    for (const file of two) {
      expect(file.at(-1)?.length).toBe(5);
      for (const row of file.at(-1) ?? []) expect(row).toContain('"run_date":"2026-01-22"');
    }
    expect(two[0]?.[0]?.length).toBeGreaterThan(0);
    expect(two[1]?.[0]?.length).toBeGreaterThan(0);
    expect(await runWith("0")).toEqual(two);
  }, 180_000);
});
