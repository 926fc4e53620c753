/**
 * `crm loadtest` against the real server over the demo workspace `npm start` seeds, with the
 * real wrk: a short run of the mixed scenario passes, counts every action, creates records that
 * really exist and writes a report; bad input is refused in one line before anything runs; and
 * a server that goes away mid-run makes the run fail.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO } from "../src/cli/demo-workspace.ts";
import type { LoadtestSummary } from "../src/loadtest/loadtest-summary.ts";
import { reportPage } from "../src/loadtest/report-page.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { runCommand } from "./support/run-command.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn } from "./support/workspace.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dir = tempDir("crm-loadtest-");
const out = tempDir("crm-loadtest-out-");
let server: TestServer;
let owner: BrowserClient;
let workspace: string;

beforeAll(async () => {
  // The rate limits (400 requests a second by default) are the server refusing load on purpose:
  // off here, as for the benchmarks, so that the test measures the tool, not the limit.
  server = await startServer({
    dataDir: dir.path,
    args: ["--demo"],
    env: { CRM_RATE_LIMIT_PER_ADDRESS: "0", CRM_RATE_LIMIT_PER_WORKSPACE: "0", CRM_ACCESS_LOG: "false" },
  });
  await server.waitForStderr(DEMO.password, 90_000);
  workspace = `${server.url}/t/${DEMO.slug}`;
  owner = await signIn(server.url, DEMO.slug, DEMO.email, DEMO.password);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
  out.remove();
});

function crm(args: string[], env: Record<string, string> = {}) {
  return runCommand([process.execPath, "src/cli.ts", "loadtest", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
}

/** The actions scripts/loadtest/mixed.lua weighs. */
function mixedActions(): string[] {
  const text = readFileSync(join(ROOT, "scripts/loadtest/mixed.lua"), "utf8");
  const weights = /weights\s*=\s*\{([^}]*)\}/.exec(text)?.[1] ?? "";
  return [...weights.matchAll(/(\w+)\s*=\s*\d+/g)].map((m) => m[1] as string).sort();
}

/** "128 contacts match" on a list filtered by `q` (or by the query `filter`). */
async function matching(
  kind: "contacts" | "deals",
  q: string,
  filter = `q=${encodeURIComponent(q)}`,
): Promise<number> {
  const page = await owner.get(`/t/${DEMO.slug}/${kind}?${filter}`);
  const count = new RegExp(`([\\d,]+) ${kind.slice(0, -1)}s? match`).exec(page.text)?.[1];
  return Number(count?.replace(/,/g, "") ?? Number.NaN);
}

describe("crm loadtest", () => {
  let summary: LoadtestSummary;
  const report = join(out.path, "mixed.html");

  it("runs the mixed scenario for 4 s with 4 connections: exit 0, requests, no errors, every action counted", async () => {
    const run = await crm([
      "--url",
      workspace,
      "--scenario",
      "mixed",
      "--duration",
      "4",
      "--connections",
      "4",
      "--report",
      report,
    ]);
    expect({ code: run.code, stderr: run.code ? run.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout).toContain("PASS");
    expect(run.stdout).toMatch(/latency\s+p50 [\d.]+ ms\s+p90 [\d.]+ ms\s+p99 [\d.]+ ms/);
    expect(run.stdout).toMatch(/unmeasured\s+[\d.]+ s of [\d.]+ s between slices/);
    summary = JSON.parse(readFileSync(report.replace(/\.html$/, ".json"), "utf8"));
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.errors.total).toBe(0);
    expect(summary.failures).toEqual([]);
    expect(summary.users).toEqual(["demo", "sam", "alex", "jordan"].map((n) => `${n}@example.com`));
    const l = summary.latencyMs;
    const ordered = [l.min, l.p50, l.p75, l.p90, l.p95, l.p99, l["p99.9"], l.max];
    expect(ordered.every((v) => typeof v === "number" && v > 0)).toBe(true);
    expect(ordered).toEqual([...ordered].sort((a, b) => (a as number) - (b as number)));
    expect(summary.actions.map((a) => a.name)).toEqual(mixedActions());
    for (const a of summary.actions) {
      expect({ action: a.name, counted: a.count > 0, errors: a.errors }).toEqual({
        action: a.name,
        counted: true,
        errors: 0,
      });
      expect(a.p50Ms).toBeLessThanOrEqual(a.p99Ms);
      expect(a.p99Ms).toBeLessThanOrEqual(a.maxMs);
    }
    expect(summary.slices.length).toBe(4);
    expect(summary.slices.reduce((sum, s) => sum + s.requests, 0)).toBe(summary.requests);
    // Each slice's wall time against wrk's: the gaps (wrk's start, the /metrics read) are small
    // on a server that keeps answering, and the run's seconds are the wall clock's.
    for (const s of summary.slices) {
      expect(s.wallSeconds).toBeGreaterThanOrEqual(s.seconds);
      expect(s.gapSeconds).toBeLessThan(1);
    }
    expect(summary.seconds).toBeGreaterThanOrEqual(
      summary.slices.reduce((sum, s) => sum + s.seconds, 0) - 0.05,
    );
    expect(summary.errors.unexpected).toBe(0);
    expect(summary.rss.startBytes).toBeGreaterThan(0);
    expect(summary.rss.growthPercent).not.toBeNull();
  }, 40_000);

  it("created records that really exist in the workspace: its contacts and deals, and its edits", async () => {
    // The preparation's pool (2 per writer: demo, sam and alex; jordan is read-only) and every create answered with a 303 to its record.
    expect(summary.created.contacts).toBeGreaterThan(6);
    expect(summary.created.deals).toBeGreaterThanOrEqual(6);
    // A request still in flight when a slice's wrk stops is done by the server but never
    // answered to wrk, so never counted: at most one per connection and slice.
    const uncounted = summary.slices.length * summary.connections;
    const contacts = await matching("contacts", "loadtest");
    expect(contacts).toBeGreaterThanOrEqual(summary.created.contacts);
    expect(contacts).toBeLessThanOrEqual(summary.created.contacts + uncounted);
    const deals = await matching("deals", "loadtest");
    expect(deals).toBeGreaterThanOrEqual(summary.created.deals);
    expect(deals).toBeLessThanOrEqual(summary.created.deals + uncounted);
    const edited = await owner.get(`/t/${DEMO.slug}/contacts?q=loadtest`);
    expect(edited.text).toContain(`edited ${summary.created.run}-`);
  });

  it("--cleanup-only deletes every contact and deal the run made, and nothing else", async () => {
    const contacts = await matching("contacts", "loadtest");
    const deals = await matching("deals", "loadtest");
    const vip = await matching("contacts", "", "tag=vip");
    expect(vip).toBeGreaterThan(0);
    const run = await crm(["--url", workspace, "--cleanup-only"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`removed ${contacts} contacts and ${deals} deals`);
    expect(await owner.get(`/t/${DEMO.slug}/contacts?q=loadtest`).then((p) => p.text)).toContain(
      "No contacts match",
    );
    expect(await owner.get(`/t/${DEMO.slug}/deals?q=loadtest`).then((p) => p.text)).toContain(
      "No deals match",
    );
    expect(await matching("contacts", "", "tag=vip")).toBe(vip);
  }, 30_000);

  it("--cleanup-only finds a run's records on every page of the list, not only the first", async () => {
    // 130 contacts named as a run's preparation names them (more than a list page), and one of
    // the workspace's own, tagged loadtest and named close to them, that stays.
    await Promise.all(
      Array.from({ length: 130 }, (_, i) =>
        owner.post(`/t/${DEMO.slug}/contacts`, {
          firstName: "loadtest",
          lastName: `zz9-pool-0-${i}`,
          tags: "loadtest",
        }),
      ),
    );
    const own = await owner.post(`/t/${DEMO.slug}/contacts`, {
      firstName: "loadtest",
      lastName: "zz9-pool-0-x",
      tags: "loadtest",
    });
    expect(await matching("contacts", "zz9-pool")).toBe(131);
    expect((await owner.get(`/t/${DEMO.slug}/contacts?q=zz9-pool&tag=loadtest`)).text).toContain(
      'rel="next"',
    );
    const run = await crm([
      "--url",
      workspace,
      "--users",
      `${DEMO.email}:${DEMO.password}`,
      "--cleanup-only",
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("removed 130 contacts");
    expect(await matching("contacts", "zz9-pool")).toBe(1);
    const path = new URL(own.headers.get("location") as string, server.url).pathname;
    expect((await owner.get(path)).status).toBe(200);
    await owner.post(`${path}/delete`, {});
  }, 60_000);

  it("--cleanup removes the run's records once it has run, signed in as the run's users", async () => {
    const run = await crm([
      "--url",
      workspace,
      "--scenario",
      "write-heavy",
      "--duration",
      "1",
      "--connections",
      "2",
      "--cleanup",
    ]);
    expect({ code: run.code, stderr: run.code ? run.stderr : "" }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(
      /removed [1-9]\d* contacts and [1-9]\d* deals a load test made \(tagged "loadtest", named as runs name them\)/,
    );
    expect(await owner.get(`/t/${DEMO.slug}/contacts?q=loadtest`).then((p) => p.text)).toContain(
      "No contacts match",
    );
  }, 30_000);

  it("writes an offline HTML report with SVG charts, and escapes what it shows", async () => {
    const page = readFileSync(report, "utf8");
    expect(page.startsWith("<!doctype html>")).toBe(true);
    for (const id of ["latency-over-time", "throughput-over-time", "rss-over-time", "latency-percentiles"])
      expect(page).toContain(`aria-labelledby="${id}-title"`);
    expect(page.match(/<svg xmlns/g)?.length).toBe(4);
    expect(page).toContain('id="actions"');
    expect(page).not.toMatch(/<script|<link|src="http|href="http/);
    const hostile = reportPage({
      ...summary,
      scenario: "<script>alert(1)</script>",
      users: ['"><img src=x onerror=alert(2)>'],
      actions: [{ ...(summary.actions[0] as LoadtestSummary["actions"][number]), name: "<b>bold</b>" }],
      failures: ["<i>why</i>"],
    });
    expect(hostile).not.toContain("<script>alert(1)");
    expect(hostile).not.toContain("<img src=x");
    expect(hostile).not.toContain("<b>bold</b>");
    expect(hostile).not.toContain("<i>why</i>");
    expect(hostile).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("refuses bad input in one line with exit 2, before anything runs", async () => {
    const refusals: [string[], Record<string, string>, RegExp][] = [
      [["--url", workspace, "--duration", "1"], { PATH: "/nonexistent" }, /apt-get install wrk/],
      [["--url", "http://127.0.0.1:1/t/demo", "--duration", "1"], {}, /cannot reach http:\/\/127\.0\.0\.1:1/],
      [["--url", `${server.url}/contacts`, "--duration", "1"], {}, /names no workspace/],
      [["--url", `${server.url}/t/nowhere`, "--duration", "1"], {}, /no workspace "nowhere"/],
      [
        ["--url", workspace, "--users", "demo@example.com:wrong", "--duration", "1"],
        {},
        /sign-in as demo@example\.com .* refused/,
      ],
      [
        ["--url", workspace, "--scenario", "nope", "--duration", "1"],
        {},
        /unknown scenario "nope" \(one of: browse, mixed, write-heavy\)/,
      ],
      [["--url", workspace, "--duration", "soon"], {}, /--duration "soon" is not a duration/],
    ];
    const before = await matching("contacts", "loadtest");
    for (const [args, env, message] of refusals) {
      const run = await crm(args, env);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: "" });
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
    expect(await matching("contacts", "loadtest")).toBe(before);
  }, 30_000);

  it("counts the errors and exits 1 when the server stops answering mid-run", async () => {
    const json = join(out.path, "stopped.json");
    const proc = Bun.spawn(
      [
        process.execPath,
        "src/cli.ts",
        "loadtest",
        "--url",
        workspace,
        "--scenario",
        "browse",
        "--duration",
        "4",
        "--connections",
        "2",
        "--json",
        json,
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const stdout = new Response(proc.stdout).text();
    // Once the first slice has run, the server dies (SIGKILL: gone at once, like a crash).
    const reader = proc.stderr.getReader();
    let progress = "";
    while (!progress.includes("slice 1/4")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`crm loadtest ended before its first slice:\n${progress}`);
      progress += new TextDecoder().decode(value);
    }
    // Keep reading what it says next, so that writing it never fails on a closed pipe.
    const rest = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        progress += new TextDecoder().decode(value);
      }
    })();
    await server.kill();
    expect(await proc.exited).toBe(1);
    await rest;
    if (!(await stdout)) console.error(progress);
    expect(await stdout).toContain("FAIL");
    const stopped: LoadtestSummary = JSON.parse(readFileSync(json, "utf8"));
    expect(stopped.slices[0]?.errors).toBe(0);
    expect(stopped.errors.total).toBeGreaterThan(0);
    expect(stopped.errors.socket.connect + stopped.errors.socket.read).toBeGreaterThan(0);
    expect(stopped.failures[0]).toMatch(/^\d+ errors?$/);
  }, 30_000);

  it("counts refusals by status and action: a server that answers 429 past its rate limit fails the run", async () => {
    // The same workspace, served again with a small allowance per workspace (20 a second, a
    // 5-second burst): the preparation fits in it, the load does not.
    server = await startServer({
      dataDir: dir.path,
      env: { CRM_RATE_LIMIT_PER_ADDRESS: "0", CRM_RATE_LIMIT_PER_WORKSPACE: "20", CRM_ACCESS_LOG: "false" },
    });
    const json = join(out.path, "limited.json");
    const run = await crm([
      "--url",
      `${server.url}/t/${DEMO.slug}`,
      "--users",
      `${DEMO.email}:${DEMO.password}`,
      "--scenario",
      "browse",
      "--duration",
      "2",
      "--connections",
      "2",
      "--json",
      json,
    ]);
    expect(run.code).toBe(1);
    const limited: LoadtestSummary = JSON.parse(readFileSync(json, "utf8"));
    const refused = limited.errors.byStatus["429"] ?? 0;
    expect(refused).toBeGreaterThan(0);
    expect(limited.errors.total).toBe(refused);
    expect(limited.actions.reduce((sum, a) => sum + (a.statuses["429"] ?? 0), 0)).toBe(refused);
    expect(limited.actions.every((a) => a.errors === (a.statuses["429"] ?? 0))).toBe(true);
    expect(run.stdout).toMatch(/errors\s+\d+ \(\d+ × 429\)/);
  }, 30_000);
});

describe("--cleanup-only on a busy server", () => {
  it("asks again after Retry-After when the worker pool refuses a chunk of the bulk delete (503), and removes everything", async () => {
    // A server whose workspace may run one pool task at a time: the second chunk of 500 arrives
    // while the first still runs, and is refused with 503 and Retry-After.
    const busyDir = tempDir("crm-loadtest-busy-");
    const data = new DataDir(busyDir.path);
    await data.tenant("busy", "owner@busy.test");
    data.close();
    const busy = await startServer({
      dataDir: busyDir.path,
      env: {
        CRM_RATE_LIMIT_PER_ADDRESS: "0",
        CRM_RATE_LIMIT_PER_WORKSPACE: "0",
        CRM_ACCESS_LOG: "false",
        CRM_WORKER_PER_WORKSPACE: "1",
      },
    });
    try {
      const client = await signIn(busy.url, "busy", "owner@busy.test", PASSWORD);
      for (let from = 0; from < 1_100; from += 100)
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            client.post("/t/busy/contacts", {
              firstName: "loadtest",
              lastName: `zz8-pool-0-${from + i}`,
              tags: "loadtest",
            }),
          ),
        );
      const run = await crm([
        "--url",
        `${busy.url}/t/busy`,
        "--users",
        `owner@busy.test:${PASSWORD}`,
        "--cleanup-only",
      ]);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
      expect(run.stdout).toContain("removed 1100 contacts");
      const left = await client.get("/t/busy/contacts?q=zz8-pool&tag=loadtest");
      expect(left.text).toContain("0 contacts match");
    } finally {
      await busy.stop();
      busyDir.remove();
    }
  }, 120_000);
});
