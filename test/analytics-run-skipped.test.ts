/**
 * A nightly run whose export could not read a workspace (its file at an older schema, damaged…)
 * must not pass for a full success: that workspace's numbers are not current. The real
 * `crm analytics run` (export included) over real files.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { latestRun } from "../src/tenancy/analytics-ledger.ts";
import { Catalog } from "../src/tenancy/catalog.ts";
import { oldShard } from "./support/old-shard.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const dir = tempDir("crm-analytics-run-skipped-");

function crm(args: string[]) {
  const result = Bun.spawnSync(["node_modules/.bin/bun", "src/cli.ts", ...args, "--data", dir.path], {
    env: { ...process.env, CRM_ANALYTICS_THREADS: "1", CRM_ANALYTICS_MEMORY: "256MB" },
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  try {
    const tenant = await data.tenant("current");
    await data.shards.use(tenant, (shard) =>
      seedTenant(shard, { contacts: 15, seed: 2, anchorMs: Date.UTC(2026, 10, 1) }),
    );
    oldShard(data.catalog, "behind", 5);
  } finally {
    data.close();
  }
});
afterAll(() => dir.remove());

describe("a run whose export skipped a workspace", () => {
  it("writes the others, then fails naming the workspace and why, in its output and its ledger", () => {
    const run = crm(["analytics", "run", "--date", "2026-10-31"]);
    expect(run.stderr).toContain("skipped behind: database is at schema version");
    expect(run.stdout).toMatch(/^workspace behind not exported: database is at schema version \d+/m);
    expect(run.stdout).toMatch(/^run \d+ for 2026-10-31 failed in/m);
    expect(run.code).toBe(1);
    const catalog = Catalog.open(dir.path);
    try {
      const last = latestRun(catalog);
      expect(last?.status).toBe("failed");
      expect(last?.error).toContain("workspace behind not exported: database is at schema version");
      // Every job itself succeeded: the other workspace has its numbers.
      expect(Object.values(last?.jobs ?? {}).every((job) => job?.status === "succeeded")).toBe(true);
    } finally {
      catalog.close();
    }
  });

  it("succeeds once the workspace's file is brought up to date", () => {
    expect(crm(["migrate"]).code).toBe(0);
    const run = crm(["analytics", "run", "--date", "2026-10-31"]);
    expect(run.stdout).not.toContain("not exported");
    expect(run.stdout).toMatch(/^run \d+ for 2026-10-31 succeeded in/m);
    expect(run.code).toBe(0);
  });
});
