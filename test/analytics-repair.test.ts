/**
 * A damaged warehouse repairs itself: a part file truncated or deleted (or a snapshot) makes
 * `crm analytics run` fail naming it and keep the previous results, and the next run, which
 * exports first, finds the damage (a stat per recorded file), rebuilds that workspace and ends
 * with the results and the warehouse of a clean run. `crm analytics export --rebuild` gives an
 * operator a clean slate. Real CLI processes, real DuckDB, temp dirs.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { bucketFolder, bucketOf } from "../jobs/export/warehouse-layout.ts";
import { crm, listed, parquetFiles, seedWorkspaces, warehouseContents } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-repair-");
afterAll(() => dir.remove());
const warehouse = join(dir.path, "warehouse");
const DATE = "2026-01-20";
const RESULT_TABLES = [
  "analytics_rfm",
  "analytics_cohorts",
  "analytics_funnel",
  "analytics_heatmap",
  "analytics_churn",
];
let files: Record<string, string> = {};
let ids: Record<string, string> = {};
/** A clean run's results and warehouse, to compare the repaired ones with. */
let cleanResults = "";
let cleanWarehouse = new Map<string, string>();

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "north", contacts: 6 },
    { slug: "south", contacts: 5 },
  ]);
  const data = new DataDir(dir.path);
  try {
    const tenants = data.catalog.list();
    files = Object.fromEntries(tenants.map((t) => [t.slug, join(dir.path, t.file)]));
    ids = Object.fromEntries(tenants.map((t) => [t.slug, t.id]));
  } finally {
    data.close();
  }
  const clean = await crm(dir.path, ["analytics", "run", "--date", DATE, "--warehouse", warehouse]);
  expect({ code: clean.code, stderr: clean.stderr.includes("repairing") }).toEqual({
    code: 0,
    stderr: false,
  });
  cleanResults = results();
  cleanWarehouse = await warehouseContents(warehouse);
}, 60_000);

function read(slug: string, sql: string): unknown[] {
  const db = new Database(files[slug] as string, { readonly: true });
  try {
    return db.query(sql).all();
  } finally {
    db.close();
  }
}

/** Every workspace's result tables, whole, in order. */
function results(): string {
  return JSON.stringify(
    Object.keys(files)
      .sort()
      .map((slug) => RESULT_TABLES.map((table) => read(slug, `SELECT * FROM ${table} ORDER BY 1, 2, 3`))),
  );
}

const computedAt = (slug: string) =>
  JSON.stringify(read(slug, "SELECT job, computed_at FROM analytics_freshness ORDER BY job"));

/** The listed file of a table in the workspace's bucket (a part of its interactions by default). */
function aPart(slug: string, table = "interactions"): string {
  const folder = `${table}/${bucketFolder(bucketOf(ids[slug] as string))}/`;
  const found = listed(warehouse, table).filter((f) => f.startsWith(folder));
  expect(found.length).toBeGreaterThanOrEqual(1);
  return join(warehouse, found[0] as string);
}

/** Whether the two workspaces' rows share a bucket (their files then are the same). */
const shared = () => bucketOf(ids.north as string) === bucketOf(ids.south as string);

/** The export's line for a workspace whose bucket holds these damaged files. */
const repairing = (slug: string, paths: string[]) =>
  `repairing ${slug}: ${paths.length} damaged or missing file(s), e.g. ${[...paths].sort()[0]}\n`;

async function run(...extra: string[]) {
  return crm(dir.path, ["analytics", "run", "--date", DATE, "--warehouse", warehouse, ...extra]);
}

async function export_(...extra: string[]) {
  return crm(dir.path, ["analytics", "export", "--warehouse", warehouse, ...extra]);
}

describe("a damaged warehouse", () => {
  for (const [damage, harm] of [
    ["truncated", (path: string) => truncateSync(path, 100)],
    ["deleted", (path: string) => rmSync(path)],
  ] as const)
    it(`a ${damage} part fails the run naming it, keeping the results; the next run repairs it and matches a clean run`, async () => {
      const part = aPart("north");
      harm(part);
      const before = computedAt("north");
      const failed = await run("--skip-export");
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain(part);
      expect(failed.stdout).toMatch(/run \d+ for 2026-01-20 failed/);
      expect(computedAt("north")).toBe(before);
      expect(results()).toBe(cleanResults);

      const repaired = await run();
      expect({ code: repaired.code, stdout: repaired.stdout }).toMatchObject({ code: 0 });
      expect(repaired.stdout).toMatch(/run \d+ for 2026-01-20 succeeded/);
      expect(repaired.stderr).toContain(repairing("north", [part]));
      // The other workspace is repaired too only when its rows are in the same bucket.
      expect(repaired.stderr.includes("repairing south")).toBe(shared());
      // The repaired warehouse gives the same results: the file already holds them, none is rewritten.
      expect(computedAt("north")).toBe(before);
      expect(results()).toBe(cleanResults);
      expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);

      // Repaired for good: the next export finds nothing to do.
      const next = await export_();
      expect(next.code).toBe(0);
      expect(next.stdout).toContain("exported 0 rows of 2 workspaces to");
      expect(next.stderr).not.toContain("repairing");
    });

  it("the export counts a repaired workspace on its summary line, and retakes a damaged snapshot", async () => {
    const part = aPart("south");
    truncateSync(part, 10);
    const snapshot = aPart("north", "users");
    truncateSync(snapshot, 40);
    const repaired = await export_();
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain("(rebuilt 2: damaged or missing files)");
    expect(repaired.stderr).toContain(repairing("north", shared() ? [part, snapshot] : [snapshot]));
    expect(repaired.stderr).toContain(repairing("south", shared() ? [part, snapshot] : [part]));
    expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);
    expect(parquetFiles(warehouse)).toEqual(listed(warehouse));
  });

  it("a warehouse in the layout before buckets is exported whole into buckets, and its old folders go after the manifest", async () => {
    // The layout before buckets: a folder per day and workspace, a snapshot folder per
    // workspace, a state file per workspace, and no manifest.
    const sample = aPart("north");
    const oldPart = join(
      warehouse,
      "interactions",
      "day=2026-01-02",
      `tenant=${ids.north}`,
      "part-1.parquet",
    );
    const oldSnapshot = join(warehouse, "contacts", `tenant=${ids.north}`, "snapshot.parquet");
    const oldState = join(warehouse, "_state", `${ids.north}.json`);
    for (const path of [oldPart, oldSnapshot]) {
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(sample, path);
    }
    writeFileSync(oldState, `${JSON.stringify({ watermark: 9, parts: ["2026-01-02/1"] })}\n`);
    rmSync(join(warehouse, "_state", "manifest.json"));
    for (const file of parquetFiles(warehouse)) if (file.includes("/bucket=")) rmSync(join(warehouse, file));
    const total = ["north", "south"]
      .map((slug) => (read(slug, "SELECT count(*) AS n FROM interactions")[0] as { n: number }).n)
      .reduce((a, b) => a + b);

    const migrated = await export_();
    expect({ code: migrated.code, stderr: migrated.stderr }).toEqual({ code: 0, stderr: "" });
    expect(migrated.stdout).toContain(`exported ${total.toLocaleString("en-US")} rows of 2 workspaces`);
    expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);
    for (const path of [oldPart, oldSnapshot, oldState, dirname(dirname(oldPart))])
      expect(existsSync(path)).toBe(false);
    expect(
      parquetFiles(warehouse).every((f) => /^[a-z_]+\/bucket=\d\d\/(part|snapshot)-\d+\.parquet$/.test(f)),
    ).toBe(true);
    expect(parquetFiles(warehouse)).toEqual(listed(warehouse));
    expect(readdirSync(join(warehouse, "_state")).filter((f) => f.endsWith(".json"))).toEqual([
      "manifest.json",
    ]);
    const ran = await run();
    expect(ran.code).toBe(0);
    expect(results()).toBe(cleanResults);
  });

  it("a file the manifest does not list (a stopped export's) is never read, and the next export removes it", async () => {
    const stray = join(dirname(aPart("north")), "part-999999.parquet");
    copyFileSync(aPart("north"), stray);
    // The runner's copy is made again: it reads every file it finds listed.
    rmSync(join(warehouse, "_runner"), { recursive: true, force: true });
    const ran = await run("--skip-export");
    expect(ran.code).toBe(0);
    expect(results()).toBe(cleanResults);
    const script = join(dir.path, "count.sql");
    writeFileSync(script, "SELECT count(*) AS n FROM interactions");
    const counted = await crm(dir.path, [
      "analytics",
      "query",
      "--tenant",
      "north",
      script,
      "--warehouse",
      warehouse,
    ]);
    const inFile = (read("north", "SELECT count(*) AS n FROM interactions")[0] as { n: number }).n;
    expect({ code: counted.code, rows: counted.stdout.trim().split(/\r?\n/) }).toEqual({
      code: 0,
      rows: ["n", String(inFile)],
    });
    const next = await export_();
    expect(next.stdout).toContain("exported 0 rows of 2 workspaces");
    expect(existsSync(stray)).toBe(false);
    expect(parquetFiles(warehouse)).toEqual(listed(warehouse));
  });

  it("--rebuild <slug> gives that workspace a clean slate, even for damage its sizes cannot see", async () => {
    // Same size, other bytes: only a rebuild finds this.
    const part = aPart("north");
    const bytes = readFileSync(part);
    bytes.fill(0, 8, bytes.length - 8);
    writeFileSync(part, bytes);
    const plain = await export_();
    expect(plain.stdout).toContain("exported 0 rows of 2 workspaces to");
    expect(await warehouseContents(warehouse).catch(() => "unreadable")).toBe("unreadable");

    const rebuilt = await export_("--rebuild", "north");
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain("(rebuilt 1: asked)");
    expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);
    const all = await export_("--rebuild", "all");
    expect(all.stdout).toContain("(rebuilt 2: asked)");
    expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);
    const ran = await run();
    expect(ran.code).toBe(0);
    expect(results()).toBe(cleanResults);

    const unknown = await export_("--rebuild", "nowhere");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toBe(
      'crm analytics export: --rebuild: no workspace "nowhere" (a slug, or all)',
    );
    expect(readdirSync(join(warehouse, "_state")).filter((f) => f.endsWith(".json"))).toEqual([
      "manifest.json",
    ]);
  });
});

describe("analytics settings", () => {
  it("refuses a DuckDB memory limit that is too small, too large or not a size with one line, exit 2, before any run", async () => {
    for (const [value, command] of [
      ["1KB", "export"],
      ["999999TB", "export"],
      ["63MB", "run"],
      ["2 bananas", "run"],
    ] as const) {
      const target = join(dir.path, `w-${command}`);
      const refused = await crm(dir.path, ["analytics", command, "--warehouse", target], {
        CRM_ANALYTICS_MEMORY: value,
      });
      expect(refused).toEqual({
        code: 2,
        stdout: "",
        stderr: `crm analytics ${command}: CRM_ANALYTICS_MEMORY must be a size such as 512MB or 2GB (64MB to 1024TB), got "${value}"\n`,
      });
      expect(existsSync(target)).toBe(false);
    }
    const threads = await crm(dir.path, ["analytics", "export", "--warehouse", join(dir.path, "w-t")], {
      CRM_ANALYTICS_THREADS: "two",
    });
    expect(threads.code).toBe(2);
    expect(threads.stderr.trim().split("\n")).toEqual([
      'crm analytics export: CRM_ANALYTICS_THREADS must be an integer from 1 to 1024, got "two"',
    ]);
  });
});
