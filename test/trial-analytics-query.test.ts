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
    // Independent processes: started together, checked one by one.
    const results = await Promise.all(
      ["0", "soon", "1.5"].map((bad) => queryCli("SELECT 1 AS one", "--timeout", bad)),
    );
    expect(results).toHaveLength(3);
    for (const result of results) {
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

describe("crm analytics query against a result too big to hold", () => {
  it("refuses a result of more rows than --max-rows (default 100,000) with one line, exit 2, printing nothing", async () => {
    // 300 million rows: held in the process before printing, this took over 14 GB of memory.
    const result = await queryCli("SELECT x FROM range(300000000) t(x)");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      "crm analytics query: refused: the result has more than 100,000 rows (--max-rows); add a LIMIT or aggregate",
    ]);
  }, 40_000);

  it("prints a result of exactly --max-rows rows and refuses one more", async () => {
    const fits = await queryCli(
      "SELECT x FROM range(4) t(x) ORDER BY x",
      "--max-rows",
      "4",
      "--format",
      "json",
    );
    expect({ code: fits.code, stderr: fits.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(fits.stdout)).toEqual([{ x: 0 }, { x: 1 }, { x: 2 }, { x: 3 }]);
    const over = await queryCli("SELECT x FROM range(5) t(x)", "--max-rows", "4");
    expect(over.code).toBe(2);
    expect(over.stdout).toBe("");
    expect(over.stderr.trim()).toBe(
      "crm analytics query: refused: the result has more than 4 rows (--max-rows); add a LIMIT or aggregate",
    );
  });

  it("refuses a --max-rows that is not a whole number from 1 to 10,000,000", async () => {
    const results = await Promise.all(
      ["0", "many", "10000001"].map((bad) => queryCli("SELECT 1 AS one", "--max-rows", bad)),
    );
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")[0]).toContain("--max-rows");
    }
  });
});

describe("crm analytics query against an obfuscated statement", () => {
  it("refuses a statement spelled in full-width letters by name, not as an empty script", async () => {
    const result = await queryCli("ＩＮＳＴＡＬＬ httpfs");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim()).toBe(
      "crm analytics query: refused: ＩＮＳＴＡＬＬ is not allowed; a script only reads, with one SELECT (or WITH … SELECT)",
    );
    const comment = await queryCli("-- nothing but a comment\n");
    expect(comment.code).toBe(2);
    expect(comment.stderr.trim()).toBe("crm analytics query: the script is empty");
  });
});
