import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { exportWarehouse } from "../jobs/export/export-warehouse.ts";
import { readManifest } from "../jobs/export/manifest.ts";
import {
  CLI,
  crm,
  listed,
  parquetFiles,
  seedWorkspaces,
  warehouseContents,
} from "./analytics-export.fixture.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-crash-");
afterAll(() => dir.remove());

beforeAll(async () => {
  await seedWorkspaces(dir.path, [
    { slug: "north", contacts: 8 },
    { slug: "south", contacts: 6 },
  ]);
});

/** A small deterministic generator: the kill points are the same on every run of the test. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits for `condition` (checked every few ms) up to `ms`; false if it never held. */
async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (condition()) return true;
    await Bun.sleep(2);
  }
  return condition();
}

/** What `_state` holds: only the manifest, whose tenants' watermarks and snapshot marks, and files. */
function states(warehouse: string) {
  const folder = join(warehouse, "_state");
  const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8"));
  return {
    jsons: readdirSync(folder).filter((f) => f.endsWith(".json")),
    tenants: manifest.tenants,
    files: Object.keys(manifest.files).sort(),
  };
}

/**
 * Starts an export into `warehouse`, waits until it has begun writing (its running mark
 * appears), then kills it with SIGKILL `delay` ms later. Returns how long it wrote, and whether
 * it had finished first.
 */
async function killDuring(
  warehouse: string,
  delay: number,
  from: "start" | "renames" = "start",
): Promise<{ finished: boolean; wroteMs: number }> {
  const proc = Bun.spawn([process.execPath, CLI, "analytics", "export", "--warehouse", warehouse], {
    env: { ...process.env, ...FAST_HASHING, CRM_DATA: dir.path, CRM_ANALYTICS_THREADS: "1" },
    stdout: "ignore",
    stderr: "ignore",
    stdin: "ignore",
  });
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  await until(() => exited || existsSync(join(warehouse, "_state", "running")), 30_000);
  const writing = performance.now();
  // From the first file under its final name: the kill lands while files are being renamed
  // into place and watermarks written, the moments where their order matters.
  if (from === "renames")
    await until(() => exited || parquetFiles(warehouse).some((f) => f.endsWith(".parquet")), 30_000);
  await until(() => exited, delay);
  proc.kill("SIGKILL");
  await proc.exited;
  return { finished: proc.signalCode === null && proc.exitCode === 0, wroteMs: performance.now() - writing };
}

describe("crm analytics export, killed with SIGKILL at any point", () => {
  it("20 kills: each rerun ends with exactly the warehouse of a run that was never stopped", async () => {
    const clean = join(dir.path, "clean");
    // The reference run, never stopped; how long it writes sets the range of the kill points.
    const reference = await killDuring(clean, 60_000);
    expect(reference.finished).toBe(true);
    const expected = await warehouseContents(clean);
    const expectedStates = states(clean);
    // Rows per table and workspace: both workspaces' interactions and snapshots.
    expect(expected.size).toBeGreaterThan(12);

    const next = random(9);
    const warehouse = join(dir.path, "killed");
    const compare = async (kill: number) => {
      const rerun = await crm(dir.path, ["analytics", "export", "--warehouse", warehouse]);
      expect({ kill, code: rerun.code, stderr: rerun.stderr }).toEqual({ kill, code: 0, stderr: "" });
      expect({ kill, leftovers: existsSync(join(warehouse, "_staging")) }).toEqual({
        kill,
        leftovers: false,
      });
      // No file the manifest does not list is left, and the rows are the clean run's.
      expect(parquetFiles(warehouse)).toEqual(listed(warehouse));
      expect(await warehouseContents(warehouse)).toEqual(expected);
      expect(states(warehouse)).toEqual(expectedStates);
      rmSync(warehouse, { recursive: true, force: true });
    };
    // 20 kills inside a run: a run that finished before its kill point does not count, and
    // shortens the range of the next points to what a whole run took (load varies).
    let range = reference.wroteMs;
    let killed = 0;
    let compared = 0;
    for (let attempt = 1; killed < 20 && attempt <= 60; attempt++) {
      // Each kill lands in a run that may itself be the recovery of the one killed before.
      // Every third attempt, a kill within 20 ms of the first file renamed into place.
      const { finished, wroteMs } =
        attempt % 3 === 0
          ? await killDuring(warehouse, next() * 20, "renames")
          : await killDuring(warehouse, next() * range);
      if (finished && attempt % 3 !== 0) range = Math.min(range, wroteMs);
      else killed++;
      if (finished || killed % 3 === 0) {
        await compare(attempt);
        compared++;
      }
    }
    await compare(0);
    expect(killed).toBe(20);
    expect(compared).toBeGreaterThanOrEqual(6);
  }, 300_000);

  it("lists a batch's files in the manifest only after every one of them is in place", async () => {
    const warehouse = join(dir.path, "ordered");
    const data = new DataDir(dir.path);
    const tenants = data.catalog.list();
    data.close();
    const seen: { step: string; tenants: number; manifest: boolean; files: number; missing: number }[] = [];
    await exportWarehouse({
      dataDir: dir.path,
      warehouse,
      tenants,
      key: Buffer.alloc(32, 7),
      threads: 1,
      onStep: (step, ids) => {
        const manifest = readManifest(warehouse);
        const files = parquetFiles(warehouse).filter((f) => f.endsWith(".parquet"));
        const missing = Object.keys(manifest?.files ?? {}).filter((f) => !files.includes(f));
        seen.push({
          step,
          tenants: ids.length,
          manifest: manifest !== undefined,
          files: files.length,
          missing: missing.length,
        });
      },
    });
    // One batch: at "renamed" its files are all in place and no manifest is written yet; at
    // "recorded" the manifest lists exactly the files that exist.
    expect(seen.length).toBe(2);
    const files = seen[0]?.files ?? 0;
    // Both workspaces' buckets: a part and eight snapshots each (one bucket if they share it).
    expect(files).toBeGreaterThanOrEqual(9);
    expect(seen).toEqual([
      { step: "renamed", tenants: 2, manifest: false, files, missing: 0 },
      { step: "recorded", tenants: 2, manifest: true, files, missing: 0 },
    ]);
    expect(listed(warehouse)).toEqual(parquetFiles(warehouse));
  });
});
