import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NightlyScheduler, nextRunAt, nightlyRunDate } from "../src/analytics/nightly-scheduler.ts";
import { crmCommand } from "../src/core/app-files.ts";
import { ConfigError, loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { listRuns, startRun } from "../src/tenancy/analytics-ledger.ts";
import { Catalog } from "../src/tenancy/catalog.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * The server's nightly analytics: when the next run is (host local time, across clock
 * changes), what CRM_ANALYTICS_AT accepts, and that at that time the real server starts a real
 * `crm analytics run --nightly` child, once, which writes its ledger row and the results.
 */

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const iso = (ms: number) => new Date(ms).toISOString();
const dirs: { remove(): void }[] = [];

afterAll(() => {
  for (const d of dirs) d.remove();
});

/** Waits for `check` to hold, polling, up to `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** A logger whose JSON lines the test reads back. */
function capturedLog(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({
    write: (chunk) => {
      for (const line of chunk.split("\n")) if (line) lines.push(JSON.parse(line));
    },
    flush: () => undefined,
  });
  return { lines, logger };
}

describe("the next run", () => {
  it("is the next time the clock reads CRM_ANALYTICS_AT, strictly after now", () => {
    expect(iso(nextRunAt(Date.parse("2026-12-01T10:00:00Z"), "02:30", "UTC"))).toBe(
      "2026-12-02T02:30:00.000Z",
    );
    expect(iso(nextRunAt(Date.parse("2026-12-01T01:00:00Z"), "02:30", "UTC"))).toBe(
      "2026-12-01T02:30:00.000Z",
    );
    expect(iso(nextRunAt(Date.parse("2026-12-01T02:30:00Z"), "02:30", "UTC"))).toBe(
      "2026-12-02T02:30:00.000Z",
    );
    expect(iso(nextRunAt(Date.parse("2026-12-31T23:59:50Z"), "00:00:05", "UTC"))).toBe(
      "2027-01-01T00:00:05.000Z",
    );
    // Tokyo is UTC+9 all year: 02:30 there is 17:30 UTC the day before.
    expect(iso(nextRunAt(Date.parse("2026-12-01T18:00:00Z"), "02:30", "Asia/Tokyo"))).toBe(
      "2026-12-02T17:30:00.000Z",
    );
  });

  it("runs once on the day a spring-forward skips 02:30 (just after the jump) and keeps local time after it", () => {
    // Paris: 2026-03-29 02:00 CET jumps to 03:00 CEST.
    const first = nextRunAt(Date.parse("2026-03-28T12:00:00Z"), "02:30", "Europe/Paris");
    expect(iso(first)).toBe("2026-03-29T01:30:00.000Z");
    const second = nextRunAt(first, "02:30", "Europe/Paris");
    expect(iso(second)).toBe("2026-03-30T00:30:00.000Z");
    // The day before: 02:30 CET.
    expect(iso(nextRunAt(Date.parse("2026-03-27T12:00:00Z"), "02:30", "Europe/Paris"))).toBe(
      "2026-03-28T01:30:00.000Z",
    );
    // New York: 2026-03-08 02:00 EST jumps to 03:00 EDT; 04:00 is unaffected and moves an hour in UTC.
    expect(iso(nextRunAt(Date.parse("2026-03-07T12:00:00Z"), "04:00", "America/New_York"))).toBe(
      "2026-03-08T08:00:00.000Z",
    );
    expect(iso(nextRunAt(Date.parse("2026-03-06T12:00:00Z"), "04:00", "America/New_York"))).toBe(
      "2026-03-07T09:00:00.000Z",
    );
  });

  it("runs once, not twice, on the day a fall-back repeats 02:30", () => {
    // Paris: 2026-10-25 03:00 CEST falls back to 02:00 CET, so 02:30 happens at 00:30Z and 01:30Z.
    const first = nextRunAt(Date.parse("2026-10-24T12:00:00Z"), "02:30", "Europe/Paris");
    expect(iso(first)).toBe("2026-10-25T00:30:00.000Z");
    const next = nextRunAt(first + 1000, "02:30", "Europe/Paris");
    expect(iso(next)).toBe("2026-10-26T01:30:00.000Z");
  });
});

describe("the day a nightly run is for", () => {
  it("is the day that has just ended on the host's clock (yesterday there), not today in UTC", () => {
    // 02:30 in New York on 2 December is 07:30 UTC: the day just ended there is 1 December.
    expect(nightlyRunDate(Date.parse("2026-12-02T07:30:00Z"), "America/New_York")).toBe("2026-12-01");
    // 02:30 in Tokyo on 2 December is still 1 December in UTC: the day just ended is 1 December, not 30 November.
    expect(nightlyRunDate(Date.parse("2026-12-01T17:30:00Z"), "Asia/Tokyo")).toBe("2026-12-01");
    expect(nightlyRunDate(Date.parse("2026-03-01T02:30:00Z"), "UTC")).toBe("2026-02-28");
    expect(nightlyRunDate(Date.parse("2027-01-01T00:00:05Z"), "UTC")).toBe("2026-12-31");
    // Paris, the night the clocks go forward: 03:30 CEST on 29 March.
    expect(nightlyRunDate(Date.parse("2026-03-29T01:30:00Z"), "Europe/Paris")).toBe("2026-03-28");
  });

  it("is what the scheduler passes to the run it starts (--date), by its own clock and zone", async () => {
    const dir = tempDir("crm-sched-date-");
    dirs.push(dir);
    const args = join(dir.path, "args");
    const { logger } = capturedLog();
    // The scheduler's clock reads 02:29:59.5 in New York on 2 December (07:29:59.5 UTC), and moves on.
    const fixed = Date.parse("2026-12-02T07:29:59.500Z");
    const real = Date.now();
    const scheduler = new NightlyScheduler({
      at: "02:30",
      zone: "America/New_York",
      dataDir: "/nonexistent",
      logger,
      stopGraceMs: 300,
      now: () => fixed + (Date.now() - real),
      // sh gets the scheduler's arguments as $0, $1…: it writes them down.
      command: ["/bin/sh", "-c", `echo "$0 $*" > '${args}.tmp' && mv '${args}.tmp' '${args}'`],
    });
    scheduler.start();
    expect(iso(scheduler.nextRun)).toBe("2026-12-02T07:30:00.000Z");
    await until(() => existsSync(args), 10_000, "the run to start");
    await until(() => !scheduler.running, 10_000, "the run to end");
    await scheduler.stop();
    expect(readFileSync(args, "utf8").trim()).toBe(
      "analytics run --nightly --date 2026-12-01 --data /nonexistent",
    );
  });
});

describe("the command the server starts", () => {
  it("is bun with src/cli.ts when run from source (a compiled binary runs itself)", () => {
    expect(crmCommand()).toEqual([process.execPath, CLI]);
  });
});

describe("CRM_ANALYTICS_AT", () => {
  it("takes HH:MM or HH:MM:SS, off or empty for none, 02:30 when unset, and refuses anything else naming it", () => {
    expect(loadConfig({}).analyticsAt).toBe("02:30");
    expect(loadConfig({ CRM_ANALYTICS_AT: "23:05" }).analyticsAt).toBe("23:05");
    expect(loadConfig({ CRM_ANALYTICS_AT: "07:05:09" }).analyticsAt).toBe("07:05:09");
    expect(loadConfig({ CRM_ANALYTICS_AT: "off" }).analyticsAt).toBeNull();
    expect(loadConfig({ CRM_ANALYTICS_AT: "" }).analyticsAt).toBeNull();
    expect(loadConfig({ CRM_ANALYTICS_AT: "  " }).analyticsAt).toBeNull();
    expect(loadConfig({ CRM_ANALYTICS_AT: " OFF " }).analyticsAt).toBeNull();
    for (const bad of ["24:00", "2:30", "02:60", "0230", "02:30:60", "tonight", "02:30 "])
      expect(() => loadConfig({ CRM_ANALYTICS_AT: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ CRM_ANALYTICS_AT: "25:00" })).toThrow(
      'CRM_ANALYTICS_AT must be a time of day HH:MM or HH:MM:SS (00:00 to 23:59:59) or off, got "25:00"',
    );
  });

  it("stops crm serve with one line naming it (exit 2)", async () => {
    const dir = tempDir("crm-sched-bad-");
    dirs.push(dir);
    const proc = Bun.spawn([process.execPath, CLI, "serve", "--port", "0", "--data", dir.path], {
      env: { ...process.env, CRM_ANALYTICS_AT: "25:00" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(2);
    expect(err.trim()).toBe(
      'crm serve: CRM_ANALYTICS_AT must be a time of day HH:MM or HH:MM:SS (00:00 to 23:59:59) or off, got "25:00"',
    );
  });
});

describe("the scheduler", () => {
  const { lines, logger } = capturedLog();
  const soon = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString().slice(11, 19);

  it("asks a run still going at shutdown to stop, and kills it after the grace time if it does not", async () => {
    // A child that ignores SIGTERM (sh, given the scheduler's arguments as $0…): only SIGKILL ends it.
    const dir = tempDir("crm-sched-stop-");
    dirs.push(dir);
    const ready = join(dir.path, "ready");
    const scheduler = new NightlyScheduler({
      at: soon(1),
      zone: "UTC",
      dataDir: "/nonexistent",
      logger,
      stopGraceMs: 300,
      command: ["/bin/sh", "-c", `trap '' TERM; touch '${ready}'; while true; do sleep 0.05; done`],
    });
    scheduler.start();
    await until(() => scheduler.running && existsSync(ready), 10_000, "the child to start");
    const started = lines.find((l) => l.msg === "analytics run started") as { pid: number };
    expect(started.pid).toBeGreaterThan(0);
    const stopping = Date.now();
    await scheduler.stop();
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(300);
    expect(scheduler.running).toBe(false);
    expect(() => process.kill(started.pid, 0)).toThrow();
    const ended = lines.find((l) => l.msg === "analytics run failed") as { signal: string; pid: number };
    expect(ended.pid).toBe(started.pid);
    expect(ended.signal).toBe("SIGKILL");
  });
});

describe("a run that never ends", () => {
  it("is stopped once it has run longer than the limit (SIGTERM, then SIGKILL), so later nights can start", async () => {
    const dir = tempDir("crm-sched-hung-");
    dirs.push(dir);
    const ready = join(dir.path, "ready");
    const { lines, logger } = capturedLog();
    const scheduler = new NightlyScheduler({
      at: new Date(Date.now() + 1000).toISOString().slice(11, 19),
      zone: "UTC",
      dataDir: "/nonexistent",
      logger,
      stopGraceMs: 300,
      maxRunMs: 1500,
      command: ["/bin/sh", "-c", `trap '' TERM; touch '${ready}'; while true; do sleep 0.05; done`],
    });
    scheduler.start();
    await until(() => scheduler.running && existsSync(ready), 10_000, "the child to start");
    const started = lines.find((l) => l.msg === "analytics run started") as { pid: number };
    await until(() => !scheduler.running, 20_000, "the hung run to be stopped");
    expect(() => process.kill(started.pid, 0)).toThrow();
    expect(lines.find((l) => l.msg === "analytics run stopped: it ran longer than the limit")?.pid).toBe(
      started.pid,
    );
    const ended = lines.find((l) => l.msg === "analytics run failed") as { signal: string; pid: number };
    expect(ended.pid).toBe(started.pid);
    expect(ended.signal).toBe("SIGKILL");
    await scheduler.stop();
  }, 30_000);
});

describe("one run at a time", () => {
  it("a nightly run finding another run holding the host's lock (here, this test's) is refused, and logged as skipped", async () => {
    const dir = tempDir("crm-sched-lock-");
    dirs.push(dir);
    const catalog = Catalog.open(dir.path);
    const held = startRun(catalog, { runDate: "2026-12-01", trigger: "manual", pid: process.pid });
    const { lines, logger } = capturedLog();
    const scheduler = new NightlyScheduler({
      at: new Date(Date.now() + 1000).toISOString().slice(11, 19),
      zone: "UTC",
      dataDir: dir.path,
      logger,
      stopGraceMs: 1000,
    });
    scheduler.start();
    await until(
      () => lines.some((l) => String(l.msg).startsWith("analytics run s")),
      60_000,
      "the run to end",
    );
    await until(() => !scheduler.running, 60_000, "the child to be reaped");
    await scheduler.stop();
    const skipped = lines.find((l) => l.msg === "analytics run skipped: another run is in progress");
    expect(skipped?.exitCode).toBe(2);
    expect(String(skipped?.stderr)).toContain(`process ${process.pid}`);
    // The lock is still this test's: the refused run changed nothing in the ledger.
    expect(listRuns(catalog).map((r) => `${r.id} ${r.status}`)).toEqual([`${held.id} running`]);
    catalog.close();
  }, 90_000);
});

describe("the server at CRM_ANALYTICS_AT", () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("starts one real crm analytics run --nightly as a child, which writes its ledger row and the results", async () => {
    const dir = tempDir("crm-sched-run-");
    dirs.push(dir);
    const data = new DataDir(dir.path);
    await data.tenant("sched");
    await data.shards.use(data.get("sched"), (s: Shard) => {
      seedTenant(s, { contacts: 40, seed: 3, anchorMs: Date.UTC(2026, 2, 20) });
    });
    const file = join(dir.path, data.get("sched").file);
    data.close();
    const exported = Bun.spawn([process.execPath, CLI, "analytics", "export", "--data", dir.path], {
      stdout: "ignore",
      stderr: "inherit",
    });
    expect(await exported.exited).toBe(0);
    // Ten seconds from now, in the server's local time (TZ=UTC): what an operator would write, to the second.
    const at = new Date(Date.now() + 10_000).toISOString().slice(11, 19);
    server = await startServer({ dataDir: dir.path, env: { CRM_ANALYTICS_AT: at, TZ: "UTC" } });
    const schedule = await server.waitForLine((l) => l.msg === "analytics schedule");
    expect(schedule.zone).toBe("UTC");
    const started = await server.waitForLine((l) => l.msg === "analytics run started", 30_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(schedule.nextRun as string));
    const finished = await server.waitForLine(
      (l) => l.msg === "analytics run finished" || l.msg === "analytics run failed",
      120_000,
    );
    expect(finished.msg).toBe("analytics run finished");
    expect(finished.pid).toBe(started.pid);
    expect(finished.exitCode).toBe(0);

    const catalog = Catalog.open(dir.path);
    const runs = listRuns(catalog);
    catalog.close();
    expect(runs.map((r) => `${r.trigger} ${r.status} ${r.pid}`)).toEqual([
      `nightly succeeded ${started.pid}`,
    ]);
    // For the day that had just ended on the server's clock (TZ=UTC) when the run started.
    const startedAt = Date.parse(schedule.nextRun as string);
    expect([nightlyRunDate(startedAt, "UTC"), nightlyRunDate(startedAt + 5000, "UTC")]).toContain(
      runs[0]?.runDate as string,
    );
    const db = new Database(file, { readonly: true });
    // The server is still running (and its shards may hold the file for a moment): wait on a
    // lock rather than fail the read.
    db.run("PRAGMA busy_timeout = 5000");
    const jobs = db.query("SELECT job FROM analytics_freshness ORDER BY job").values().flat();
    db.close();
    expect(jobs).toEqual(["churn", "cohorts", "funnel", "heatmap", "rfm"]);
    // One run a day: the next is tomorrow, and no second child was started.
    expect(server.lines.filter((l) => l.includes('"analytics run started"'))).toHaveLength(1);

    const owner = await signIn(server.url, "sched", "owner@sched.test");
    const page = await owner.get("/t/sched/settings/analytics");
    expect(page.text).toMatch(/<td>nightly<\/td><td class="status-succeeded">succeeded<\/td>/);
  }, 180_000);
});
