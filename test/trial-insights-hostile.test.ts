import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { NightlyScheduler } from "../src/analytics/nightly-scheduler.ts";
import { Logger } from "../src/core/logger.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * A hostile user's trial of Reports → Insights and Settings → Analytics on the real server:
 * names carrying markup in every place the pages print one (pipeline, stage, user, company),
 * chosen month and user values the results do not hold (page and CSV), another workspace's
 * user id, and the churn list's wording for a company with no activity at all. The result
 * tables are filled here as a nightly run's write-back fills them (this file tests the pages;
 * test/insights.test.ts runs the real jobs).
 */

const HOME = "trial-home";
const OTHER = "trial-other";
const RUN_DATE = "2026-03-20";
const MONTH = "2026-03";
const XSS = `<img src=x onerror="window.__xss=1">"><svg onload="window.__xss=2">`;
const ANCHOR = Date.UTC(2026, 2, 20);

const dir = tempDir("crm-trial-insights-");
let server: TestServer;
let browser: Browser;
let homeFile: string;
let ids: {
  contact: number;
  pipeline: number;
  stage: number;
  won: number;
  user: number;
  company: number;
  quiet: number;
  otherUser: number;
};

// biome-ignore lint/suspicious/noExplicitAny: SQL rows are read field by field
type Row = Record<string, any>;

function query(file: string, sql: string, ...params: (string | number)[]): Row[] {
  const db = new Database(file, { readonly: true });
  try {
    // The server has the file open meanwhile (its shards, its pool's checkpoints): wait on a
    // lock it holds for a moment, as the app's readers do, rather than fail the read.
    db.run("PRAGMA busy_timeout = 5000");
    return db.query(sql).all(...params) as Row[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant(OTHER);
  await data.user(HOME, "reader@trial.test", "read-only");
  await data.user(HOME, "member@trial.test", "member");
  await data.shards.use(data.get(HOME), (s: Shard) => {
    seedTenant(s, { contacts: 40, seed: 3, anchorMs: ANCHOR });
    const one = (sql: string) => (s.statement(sql).get() as { id: number }).id;
    const pipeline = one("SELECT id FROM pipelines ORDER BY position LIMIT 1");
    const stage = one(`SELECT id FROM stages WHERE pipeline_id = ${pipeline} ORDER BY position LIMIT 1`);
    const won = one(`SELECT id FROM stages WHERE pipeline_id = ${pipeline} AND kind = 'won' LIMIT 1`);
    const user = one("SELECT id FROM users WHERE email = 'member@trial.test'");
    const [company, quiet] = (
      s.statement("SELECT id FROM companies ORDER BY id LIMIT 2").all() as { id: number }[]
    ).map((r) => r.id) as [number, number];
    s.statement("UPDATE pipelines SET name = ? WHERE id = ?").run(`P ${XSS}`, pipeline);
    s.statement("UPDATE stages SET name = ? WHERE id = ?").run(`S ${XSS}`, stage);
    s.statement("UPDATE users SET name = ? WHERE id = ?").run(`U ${XSS}`, user);
    s.statement("UPDATE companies SET name = ? WHERE id = ?").run(`C ${XSS}`, company);
    s.statement("UPDATE companies SET name = 'Quiet Ltd' WHERE id = ?").run(quiet);
    const contact = one("SELECT id FROM contacts ORDER BY id LIMIT 1");
    const now = Date.now();
    s.transaction(() => {
      // The last interaction 3 days before the run's day (the row keeps the day, the page counts).
      s.statement(
        "INSERT INTO analytics_rfm VALUES (?, date(?, '-3 days'), 7, 120000, 5, 4, 3, 'Champions', ?)",
      ).run(contact, RUN_DATE, RUN_DATE);
      s.statement("INSERT INTO analytics_cohorts VALUES (?, 0, 5, 5, ?)").run(MONTH, RUN_DATE);
      s.statement("INSERT INTO analytics_funnel VALUES (?, ?, ?, 9, 4, 2.5, ?)").run(
        pipeline,
        MONTH,
        stage,
        RUN_DATE,
      );
      s.statement("INSERT INTO analytics_funnel VALUES (?, ?, ?, 3, 0, NULL, ?)").run(
        pipeline,
        MONTH,
        won,
        RUN_DATE,
      );
      s.statement("INSERT INTO analytics_heatmap VALUES (?, 2, 10, 6, ?)").run(user, RUN_DATE);
      s.statement("INSERT INTO analytics_churn VALUES (?, 1, 8, -0.875, 'high', ?)").run(company, RUN_DATE);
      // No activity in either period: "medium" by the churn job's rule (a quiet company).
      s.statement("INSERT INTO analytics_churn VALUES (?, 0, 0, 0, 'medium', ?)").run(quiet, RUN_DATE);
      for (const [job, rows] of [
        ["rfm", 1],
        ["cohorts", 1],
        ["funnel", 1],
        ["heatmap", 1],
        ["churn", 2],
      ] as const)
        s.statement(
          "INSERT INTO analytics_freshness (job, run_date, computed_at, rows) VALUES (?, ?, ?, ?)",
        ).run(job, RUN_DATE, now, rows);
    });
    ids = { contact, pipeline, stage, won, user, company, quiet, otherUser: 0 };
  });
  await data.shards.use(data.get(OTHER), (s: Shard) => {
    ids.otherUser = (s.statement("SELECT id FROM users LIMIT 1").get() as { id: number }).id;
  });
  homeFile = join(dir.path, data.get(HOME).file);
  data.close();
  server = await startServer({ dataDir: dir.path });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

describe("Insights with hostile names", () => {
  it("prints pipeline, stage, user and company names as text in a real browser: nothing runs, no CSP report", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await page.goto(`${server.url}/t/${HOME}/login`);
    await page.fill("input[name=email]", `owner@${HOME}.test`);
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForURL(`**/t/${HOME}/contacts**`), page.click("button[type=submit]")]);
    const urls = [
      `/t/${HOME}/reports/insights`,
      `/t/${HOME}/reports/insights?owner=${ids.user}`,
      `/t/${HOME}/reports/insights?month=${encodeURIComponent(XSS)}&owner=${encodeURIComponent(XSS)}`,
      `/t/${HOME}/companies/${ids.company}`,
      `/t/${HOME}/settings/analytics`,
    ];
    for (const url of urls) {
      await page.goto(`${server.url}${url}`);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? 0)).toBe(0);
      expect(await page.locator("main img[src=x], main svg[onload]").count()).toBe(0);
    }
    await page.goto(`${server.url}/t/${HOME}/reports/insights`);
    const body = (await page.textContent("body")) ?? "";
    for (const name of [`P ${XSS}`, `S ${XSS}`, `U ${XSS}`, `C ${XSS}`]) expect(body).toContain(name);
    expect(problems.filter((p) => !p.includes("Failed to load resource"))).toEqual([]);
    await context.close();
  });
});

describe("Insights' choices", () => {
  it("answers a month or user the results do not hold with 422 on the CSV downloads too, not another month's figures", async () => {
    const client = await signIn(server.url, HOME, "member@trial.test");
    const good = await client.get(`/t/${HOME}/reports/insights/funnel-${ids.pipeline}.csv?month=${MONTH}`);
    expect(good.status).toBe(200);
    for (const q of ["month=9999-99", "month=2026-02", `owner=${ids.otherUser}`, "owner=-1"]) {
      const page = await client.get(`/t/${HOME}/reports/insights?${q}`);
      expect(page.status).toBe(422);
      const csv = await client.get(`/t/${HOME}/reports/insights/funnel-${ids.pipeline}.csv?${q}`);
      expect(csv.status).toBe(422);
      expect(csv.headers.get("content-type") ?? "").not.toContain("text/csv");
      expect(csv.text).toContain(q.startsWith("month") ? "month: is not a month" : "owner: is not a user");
      const hours = await client.get(`/t/${HOME}/reports/insights/heatmap-hours.csv?${q}`);
      expect(hours.status).toBe(422);
    }
  });

  it("another workspace's user id, or a session of another workspace, sees none of this workspace's figures", async () => {
    const stranger = await signIn(server.url, OTHER, `owner@${OTHER}.test`);
    for (const path of [
      "reports/insights",
      "reports/insights/rfm-segments.csv",
      "settings/analytics",
      "settings/workspace",
    ]) {
      const r = await stranger.get(`/t/${HOME}/${path}`);
      expect([401, 403, 404, 303, 302]).toContain(r.status);
      expect(r.text).not.toContain("Champions");
      expect(r.text).not.toContain("Quiet Ltd");
    }
    const reader = await signIn(server.url, HOME, "reader@trial.test");
    expect((await reader.get(`/t/${HOME}/settings/analytics`)).status).toBe(403);
    expect((await reader.get(`/t/${HOME}/reports/insights`)).status).toBe(200);
  });
});

describe("the churn list", () => {
  it("says a quiet company (no interactions in either period) had none, not that it is new", async () => {
    const client = await signIn(server.url, HOME, "reader@trial.test");
    const page = await client.get(`/t/${HOME}/reports/insights`);
    expect(page.status).toBe(200);
    const row = new RegExp(
      `<tr><td><a href="/t/${HOME}/companies/${ids.quiet}">Quiet Ltd</a></td>[\\s\\S]*?</tr>`,
    ).exec(page.text)?.[0];
    expect(row).toBeDefined();
    expect(row).toContain('class="risk-medium"');
    expect(row).not.toContain(">new<");
    expect(row).toContain(">no activity<");
    expect(query(homeFile, "SELECT count(*) AS n FROM analytics_churn")[0]?.n).toBe(2);
  });
});

describe("Settings → Analytics", () => {
  it("shows a run whose process is gone (killed, crashed) as failed, not as running until the next night", async () => {
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    const catalog = new Database(join(dir.path, "catalog.sqlite"));
    try {
      // The running server has the catalog open too: wait on a lock it holds for a moment.
      catalog.run("PRAGMA busy_timeout = 5000");
      catalog
        .query(
          "INSERT INTO analytics_runs (run_date, trigger, status, pid, started_at) VALUES ('2026-03-19', 'nightly', 'running', ?, ?)",
        )
        .run(gone.pid, Date.now() - 60_000);
    } finally {
      catalog.close();
    }
    const admin = await signIn(server.url, HOME, `owner@${HOME}.test`);
    const page = await admin.get(`/t/${HOME}/settings/analytics`);
    expect(page.status).toBe(200);
    const row = /<tr><td>\d+<\/td><td>2026-03-19<\/td>[\s\S]*?<\/tr>/.exec(page.text)?.[0];
    expect(row).toBeDefined();
    expect(row).toContain('class="status-failed">failed<');
    expect(row).not.toContain(">running<");
  });
});

describe("the funnel", () => {
  it("leaves moved on and conversion blank for a won or lost stage, where deals end, instead of 0%", async () => {
    const client = await signIn(server.url, HOME, "reader@trial.test");
    const csv = await client.get(`/t/${HOME}/reports/insights/funnel-${ids.pipeline}.csv?month=${MONTH}`);
    expect(csv.status).toBe(200);
    const wonName = query(homeFile, "SELECT name FROM stages WHERE id = ?", ids.won)[0]?.name as string;
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("Stage,Entered,Moved on,Conversion %,Median days");
    expect(lines).toContain(`${wonName},3,,,`);
    expect(lines.some((l) => l.endsWith(",9,4,44.4,2.5"))).toBe(true);
  });
});

describe("the nightly scheduler", () => {
  it("starts the run at a lower CPU priority than the server's (nice 10), so pages stay quick meanwhile", async () => {
    const out = join(dir.path, "child-nice");
    const logger = new Logger({ write: () => undefined, flush: () => undefined });
    // The child records its own nice value (field 19 of /proc/self/stat; the name field has no space here).
    const scheduler = new NightlyScheduler({
      at: new Date(Date.now() + 1000).toISOString().slice(11, 19),
      zone: "UTC",
      dataDir: "/nonexistent",
      logger,
      stopGraceMs: 300,
      command: ["/bin/sh", "-c", `cut -d' ' -f19 /proc/self/stat > '${out}.tmp' && mv '${out}.tmp' '${out}'`],
    });
    scheduler.start();
    const deadline = Date.now() + 10_000;
    while (!existsSync(out) && Date.now() < deadline) await Bun.sleep(20);
    await scheduler.stop();
    const own = Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ")[16]);
    expect(Number(readFileSync(out, "utf8").trim())).toBe(Math.min(19, own + 10));
  });
});

describe("the heatmap's time zone", () => {
  it("after the time zone changes, names the zone the last run read the hours in until the next run", async () => {
    const admin = await signIn(server.url, HOME, `owner@${HOME}.test`);
    const hint = async () =>
      /<section class="insight" aria-labelledby="heatmap-heading">[\s\S]*?<p class="hint">([^<]*)<\/p>/.exec(
        (await admin.get(`/t/${HOME}/reports/insights`)).text,
      )?.[1];
    expect(await hint()).toBe("Interactions by weekday and hour in the workspace&#x27;s time zone (UTC).");
    await admin.get(`/t/${HOME}/settings/workspace`);
    for (const zone of ["Europe/Paris", "Asia/Tokyo"])
      expect((await admin.post(`/t/${HOME}/settings/workspace`, { timeZone: zone })).status).toBe(303);
    // The numbers on the page were computed in UTC: they say so, and which zone the next run reads.
    expect(await hint()).toBe(
      "Interactions by weekday and hour in UTC, as the last run read them; the next run reads them in the workspace&#x27;s time zone (Asia/Tokyo).",
    );
    // The next run writes the heatmap again (here, its write-back's stamp): the page names the new zone alone.
    const db = new Database(homeFile);
    try {
      // The running server has just written the file (the time zone): wait for its lock.
      db.run("PRAGMA busy_timeout = 5000");
      db.query("UPDATE analytics_freshness SET computed_at = ? WHERE job = 'heatmap'").run(Date.now() + 1000);
    } finally {
      db.close();
    }
    expect(await hint()).toBe(
      "Interactions by weekday and hour in the workspace&#x27;s time zone (Asia/Tokyo).",
    );
  });
});

describe("a contact's RFM badge", () => {
  it("counts the frequency as the job does (the 365 days to the run's day), not as every interaction ever", async () => {
    const client = await signIn(server.url, HOME, "reader@trial.test");
    const page = await client.get(`/t/${HOME}/contacts/${ids.contact}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(
      "R 5 · F 4 · M 3 (last interaction 3 days before the run's day, 7 in the 365 days to it)",
    );
    expect(page.text).not.toContain("in all)");
  });
});
