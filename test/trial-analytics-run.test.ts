import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { truncateSync } from "node:fs";
import { basename, join } from "node:path";
import { Glob } from "bun";
import { crm, seedWorkspaces } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";

const dir = tempDir("crm-trial-analytics-run-");

beforeAll(async () => {
  await seedWorkspaces(dir.path, [{ slug: "alpha", contacts: 6 }]);
  const exported = await crm(dir.path, ["analytics", "export"]);
  if (exported.code !== 0) throw new Error(exported.stderr);
});
afterAll(() => dir.remove());

describe("crm analytics run when DuckDB fails a job", () => {
  it("prints the job's error on its one line, then the run's line, and exits 1", async () => {
    // A damaged part file (the runner reads the warehouse as it is: --skip-export, so nothing repairs it first).
    const parts = [...new Glob("interactions/**/*.parquet").scanSync({ cwd: join(dir.path, "warehouse") })];
    expect(parts.length).toBeGreaterThan(0);
    const damaged = parts[0] as string;
    truncateSync(join(dir.path, "warehouse", damaged), 100);
    const result = await crm(dir.path, [
      "analytics",
      "run",
      "--skip-export",
      "--job",
      "rfm",
      "--date",
      "2026-01-15",
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^rfm {6}failed {4}0 rows in \d+ ms: /);
    expect(lines[0]).toContain(basename(damaged));
    expect(lines[1]).toMatch(/^run \d+ for 2026-01-15 failed in [\d,]+ ms$/);
    const status = await crm(dir.path, ["analytics", "status", "--runs", "1"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(basename(damaged));
  });
});

describe("crm analytics run --date in the future", () => {
  it("refuses a day after today (a typo such as 2062 for 2026) with one line, exit 2, starting no run", async () => {
    const before = await crm(dir.path, ["analytics", "status", "--runs", "100"]);
    const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const days = ["9999-12-31", inTwoDays];
    const results = await Promise.all(
      days.map((day) => crm(dir.path, ["analytics", "run", "--skip-export", "--date", day])),
    );
    expect(results).toHaveLength(2);
    for (const [i, result] of results.entries()) {
      const day = days[i];
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")[0]).toBe(
        `crm analytics run: --date must not be after today, got "${day}" (the numbers are for a day that has begun)`,
      );
    }
    const after = await crm(dir.path, ["analytics", "status", "--runs", "100"]);
    expect(after.stdout).toBe(before.stdout);
  });
});
