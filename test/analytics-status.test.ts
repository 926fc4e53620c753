import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { finishRun, startRun } from "../src/tenancy/analytics-ledger.ts";
import { crm } from "./analytics-export.fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * `crm analytics status` (and `crm tenants list`, which reads the same catalog): what each run
 * shows, the same word as Settings → Analytics for a run whose process is gone, --runs, and a
 * data directory that holds no catalog.
 */

const dir = tempDir("crm-analytics-status-");
let deadPid = 0;
let server: TestServer | undefined;

beforeAll(async () => {
  // A process id that was used and has ended: a run "still running" under it crashed.
  const gone = Bun.spawn(["true"]);
  await gone.exited;
  deadPid = gone.pid;
  const data = new DataDir(dir.path);
  await data.tenant("acme");
  const done = startRun(data.catalog, {
    runDate: "2026-11-30",
    trigger: "nightly",
    now: Date.UTC(2026, 11, 1, 2, 30),
  });
  finishRun(data.catalog, done.id, { status: "succeeded", now: Date.UTC(2026, 11, 1, 2, 31) });
  startRun(data.catalog, {
    runDate: "2026-12-01",
    trigger: "nightly",
    pid: deadPid,
    now: Date.UTC(2026, 11, 2, 2, 30),
    alive: () => false,
  });
  data.close();
});
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe("crm analytics status", () => {
  it("shows a run whose process is gone as failed, saying why, as Settings → Analytics does", async () => {
    const status = await crm(dir.path, ["analytics", "status"]);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    const lines = status.stdout.split("\n");
    expect(lines[0]).toStartWith(
      `run 2  2026-12-01  nightly  failed  started 2026-12-02 02:30:00  pid ${deadPid}`,
    );
    expect(lines[1]).toBe(
      `  error: its process (${deadPid}) stopped before the run finished; the next run records it failed`,
    );
    expect(lines[2]).toStartWith(
      "run 1  2026-11-30  nightly  succeeded  started 2026-12-01 02:30:00 in 60,000 ms",
    );
    expect(status.stdout).not.toContain("running");

    server = await startServer({ dataDir: dir.path });
    const owner = await signIn(server.url, "acme", "owner@acme.test");
    const page = await owner.get("/t/acme/settings/analytics");
    expect(page.status).toBe(200);
    expect(page.text).toMatch(
      /<tr><td>2<\/td><td>2026-12-01<\/td><td>nightly<\/td><td class="status-failed">failed<\/td>/,
    );
    expect(page.text).toMatch(
      /<tr><td>1<\/td><td>2026-11-30<\/td><td>nightly<\/td><td class="status-succeeded">succeeded<\/td>/,
    );
  }, 60_000);

  it("shows --runs N runs, and refuses --runs 0 (at least 1) with exit 2", async () => {
    const one = await crm(dir.path, ["analytics", "status", "--runs", "1"]);
    expect(one.code).toBe(0);
    expect(one.stdout.split("\n").filter((l) => l.startsWith("run "))).toEqual([
      expect.stringMatching(/^run 2 /) as unknown as string,
    ]);
    const zero = await crm(dir.path, ["analytics", "status", "--runs", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stdout).toBe("");
    expect(zero.stderr).toStartWith('crm analytics status: --runs must be at least 1, got "0"');
  });
});

describe("a data directory without a catalog", () => {
  for (const [name, args] of [
    ["analytics status", ["analytics", "status"]],
    ["tenants list", ["tenants", "list"]],
    ["analytics query", ["analytics", "query", "--tenant", "acme", "-"]],
    ["analytics export", ["analytics", "export"]],
    ["analytics run", ["analytics", "run"]],
  ] as const) {
    it(`is refused by crm ${name}, naming it, exit 2, and nothing is created there`, async () => {
      const empty = join(dir.path, `empty-${name.replace(" ", "-")}`);
      mkdirSync(empty);
      const missing = join(dir.path, `missing-${name.replace(" ", "-")}`);
      const results = await Promise.all([empty, missing].map((data) => crm(data, [...args, "--data", data])));
      for (const [i, data] of [empty, missing].entries()) {
        expect(results[i]?.code).toBe(2);
        expect(results[i]?.stdout).toBe("");
        expect(results[i]?.stderr).toStartWith(
          `crm ${name}: no catalog in ${data}: it holds no workspaces (check --data or $CRM_DATA;`,
        );
      }
      expect(readdirSync(empty)).toEqual([]);
      expect(existsSync(missing)).toBe(false);
    });
  }
});
