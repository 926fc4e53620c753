import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { CLI, crm, seedWorkspaces } from "./analytics-export.fixture.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";

const dir = tempDir("crm-trial-analytics-query-");

beforeAll(async () => {
  await seedWorkspaces(dir.path, [{ slug: "alpha", contacts: 6 }]);
  const exported = await crm(dir.path, ["analytics", "export"]);
  if (exported.code !== 0) throw new Error(exported.stderr);
});
afterAll(() => dir.remove());

/** `crm analytics query --tenant alpha -` with the script on stdin. */
async function queryCli(script: string, ...args: string[]) {
  const proc = Bun.spawn([process.execPath, CLI, "analytics", "query", "--tenant", "alpha", "-", ...args], {
    env: { ...process.env, ...FAST_HASHING, CRM_DATA: dir.path, CRM_ANALYTICS_THREADS: "1" },
    stdin: new TextEncoder().encode(script),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

const RUNAWAY = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";

describe("crm analytics query against a script that never ends", () => {
  it("stops a runaway WITH RECURSIVE at --timeout with one line, exit 2", async () => {
    const started = performance.now();
    const result = await queryCli(RUNAWAY, "--timeout", "1");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      "crm analytics query: stopped: the script ran past its time limit of 1 s (--timeout)",
    ]);
    // Well before the 300 s default: the flag's limit is the one applied.
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it("refuses a --timeout that is not a whole number of seconds from 1, before running anything", async () => {
    for (const bad of ["0", "soon", "1.5"]) {
      const result = await queryCli("SELECT 1 AS one", "--timeout", bad);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")[0]).toContain("--timeout");
    }
  });

  it("runs a script that ends in time as before", async () => {
    const result = await queryCli(
      "SELECT count(*) AS n FROM contacts",
      "--timeout",
      "30",
      "--format",
      "json",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ n: 6 }]);
  });
});
