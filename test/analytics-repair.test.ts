/**
 * A damaged warehouse repairs itself: a part file truncated or deleted (or a snapshot) makes
 * `crm analytics run` fail naming it and keep the previous results, and the next run, which
 * exports first, finds the damage (a stat per recorded file), rebuilds that workspace and ends
 * with the results and the warehouse of a clean run. `crm analytics export --rebuild` gives an
 * operator a clean slate. Real CLI processes, real DuckDB, temp dirs.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crm, parquetFiles, seedWorkspaces, warehouseContents } from "./analytics-export.fixture.ts";
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

/** One of the workspace's recorded part files. */
function aPart(slug: string): string {
  const found = parquetFiles(warehouse).filter(
    (f) => f.startsWith("interactions/") && f.includes(`tenant=${ids[slug]}/`),
  );
  expect(found.length).toBeGreaterThan(3);
  return join(warehouse, found[Math.floor(found.length / 2)] as string);
}

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
      expect(repaired.stderr).toContain(`repairing north: 1 damaged or missing file(s), e.g. ${part}\n`);
      expect(repaired.stderr).not.toContain("repairing south");
      expect(computedAt("north")).not.toBe(before);
      expect(results()).toBe(cleanResults);
      expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);

      // Repaired for good: the next export finds nothing to do.
      const next = await export_();
      expect(next.code).toBe(0);
      expect(next.stdout).toContain("exported 0 rows of 2 workspaces to");
      expect(next.stderr).not.toContain("repairing");
    });

  it("the export counts a repaired workspace on its summary line, and retakes a damaged snapshot", async () => {
    truncateSync(aPart("south"), 10);
    const snapshot = join(warehouse, "users", `tenant=${ids.north}`, "snapshot.parquet");
    truncateSync(snapshot, 40);
    const repaired = await export_();
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain("(rebuilt 2: damaged or missing files)");
    expect(repaired.stderr).toContain(`repairing north: 1 damaged or missing file(s), e.g. ${snapshot}\n`);
    expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);
  });

  it("a state written before sizes were recorded still finds a missing part, and records the sizes again", async () => {
    const statePath = join(warehouse, "_state", `${ids.north}.json`);
    const state = JSON.parse(readFileSync(statePath, "utf8"));
    expect(Object.keys(state.sizes).length).toBe(state.parts.length);
    delete state.sizes;
    delete state.snapshotSizes;
    writeFileSync(statePath, `${JSON.stringify(state)}\n`);
    const unchanged = await export_();
    expect(unchanged.code).toBe(0);
    expect(unchanged.stderr).not.toContain("repairing");
    const recorded = JSON.parse(readFileSync(statePath, "utf8"));
    expect(Object.keys(recorded.sizes).length).toBe(state.parts.length);
    expect(Object.keys(recorded.snapshotSizes).length).toBe(8);

    delete recorded.sizes;
    writeFileSync(statePath, `${JSON.stringify(recorded)}\n`);
    const part = aPart("north");
    rmSync(part);
    const repaired = await export_();
    expect(repaired.stdout).toContain("(rebuilt 1: damaged or missing files)");
    expect(existsSync(part)).toBe(true);
    expect(await warehouseContents(warehouse)).toEqual(cleanWarehouse);
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
    expect(readdirSync(join(warehouse, "_state")).sort()).toEqual(
      [`${ids.north}.json`, `${ids.south}.json`].sort(),
    );
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
