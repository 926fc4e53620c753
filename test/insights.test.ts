import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * Reports → Insights and the record pages' badges over results written by a REAL nightly run
 * (`crm analytics export` then `crm analytics run`, each its own process, DuckDB and all) over
 * two seeded workspaces; a third, created after the run, has none. What the pages show is
 * compared with the result tables read here with plain SQL.
 */

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const HOME = "ins-home";
const OTHER = "ins-other";
const FRESH = "ins-fresh";
/** Friday 2026-03-20: the day the seed counts back from and the run is for. */
const ANCHOR = Date.UTC(2026, 2, 20);
const RUN_DATE = "2026-03-20";
/** The nightly time the server is given: twelve hours from now, so it never fires during the test. */
const AT = new Date(Date.now() + 12 * 3_600_000).toISOString().slice(11, 16);

const dir = tempDir("crm-insights-");
let server: TestServer;
let browser: Browser;
let homeFile: string;
let otherFile: string;
let otherTenantId: string;

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

async function crm(...args: string[]): Promise<string> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], {
    env: { ...process.env, CRM_ANALYTICS_THREADS: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`crm ${args.join(" ")} exited ${code}:\n${out}\n${err}`);
  return out;
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  for (const [slug, contacts, seed] of [
    [HOME, 300, 7],
    [OTHER, 120, 8],
  ] as const) {
    await data.tenant(slug);
    if (slug === HOME) {
      await data.user(slug, "reader@ins.test", "read-only");
      await data.user(slug, "member@ins.test", "member");
      await data.user(slug, "admin@ins.test", "admin");
    }
    await data.shards.use(data.get(slug), (s: Shard) => {
      seedTenant(s, { contacts, seed, anchorMs: ANCHOR });
    });
  }
  homeFile = join(dir.path, data.get(HOME).file);
  otherFile = join(dir.path, data.get(OTHER).file);
  otherTenantId = data.get(OTHER).id;
  data.close();
  // The real thing, as an operator runs it.
  await crm("analytics", "export", "--data", dir.path);
  await crm("analytics", "run", "--date", RUN_DATE, "--data", dir.path);
  const after = new DataDir(dir.path);
  await after.tenant(FRESH);
  // People added since the run: not scored, so they have no RFM segment.
  await after.shards.use(after.get(HOME), (s: Shard) => {
    seedTenant(s, { contacts: 8, seed: 9, anchorMs: ANCHOR });
  });
  after.close();
  server = await startServer({ dataDir: dir.path, env: { CRM_ANALYTICS_AT: AT, TZ: "UTC" } });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

async function browserAs(email: string, slug = HOME): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/t/${slug}/login`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForURL(`**/t/${slug}/contacts**`), page.click("button[type=submit]")]);
  return page;
}

const FRESHNESS = new RegExp(`^Computed for ${RUN_DATE}, (just now|\\d+ minutes? ago)\\.$`);

describe("Reports → Insights after a real nightly run", () => {
  it("shows a read-only user each part as the run wrote it, in a real browser, each saying how fresh it is", async () => {
    const page = await browserAs("reader@ins.test");
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    const response = await page.goto(`${server.url}/t/${HOME}/reports/insights`);
    expect(response?.status()).toBe(200);

    // Every part says when its numbers were computed.
    const freshness = await page.$$eval(".insights .freshness", (ps) => ps.map((p) => p.textContent?.trim()));
    expect(freshness).toHaveLength(5);
    for (const line of freshness) expect(line).toMatch(FRESHNESS);

    // The RFM grid: contacts per recency × frequency score, as in analytics_rfm.
    const grid = await page.$$eval("#rfm-grid tbody tr", (rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].map((td) => Number(td.textContent?.replace(/,/g, "")))),
    );
    const expected = [5, 4, 3, 2, 1].map((r) =>
      [1, 2, 3, 4, 5].map(
        (f) =>
          query(
            homeFile,
            "SELECT count(*) AS n FROM analytics_rfm WHERE r_score = ? AND f_score = ?",
            r,
            f,
          )[0]?.n,
      ),
    );
    expect(grid).toEqual(expected);
    const scored = query(homeFile, "SELECT count(*) AS n FROM analytics_rfm")[0]?.n as number;
    expect(scored).toBeGreaterThan(100);
    expect(grid.flat().reduce((a, b) => a + b, 0)).toBe(scored);

    // The named segments, largest first, each a link for members only (this reader has none).
    const segments = await page.$$eval("#rfm-segments-list tbody tr", (rows) =>
      rows.map((r) => {
        const cells = (r as HTMLTableRowElement).cells;
        return [cells[0]?.textContent, Number(cells[1]?.textContent?.replace(/,/g, ""))];
      }),
    );
    expect(segments).toEqual(
      query(
        homeFile,
        "SELECT segment, count(*) AS n FROM analytics_rfm GROUP BY segment ORDER BY n DESC, segment",
      ).map((r) => [r.segment, r.n]),
    );
    expect(await page.locator("#rfm-segments-list a").count()).toBe(0);

    // The cohort triangle: a row per cohort month, each cell the share active.
    const cohortMonths = query(
      homeFile,
      "SELECT DISTINCT cohort_month AS m FROM analytics_cohorts ORDER BY m DESC LIMIT 24",
    )
      .map((r) => r.m)
      .reverse();
    expect(cohortMonths.length).toBeGreaterThan(0);
    const heads = await page.$$eval("#cohort-triangle tbody th", (ths) =>
      ths.map((th) => th.textContent ?? ""),
    );
    expect(heads.map((h) => h.slice(0, 7))).toEqual(cohortMonths);
    const first = query(
      homeFile,
      "SELECT cohort_size AS size, active FROM analytics_cohorts WHERE cohort_month = ? AND month_offset = 1",
      cohortMonths[0],
    )[0];
    const firstRow = await page.$$eval("#cohort-triangle tbody tr:first-child td", (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(firstRow[1]).toBe(first ? `${Math.round((first.active / first.size) * 1000) / 10}%` : "");

    // The funnel: the newest month by default, a chart per pipeline with its data table.
    const months = query(homeFile, "SELECT DISTINCT month FROM analytics_funnel ORDER BY month DESC").map(
      (r) => r.month,
    );
    expect(months.length).toBeGreaterThan(0);
    expect(await page.$$eval("#insights-month option", (os) => os.map((o) => o.textContent))).toEqual(
      months.slice(0, 60),
    );
    const pipelines = query(
      homeFile,
      "SELECT DISTINCT p.name FROM analytics_funnel f JOIN pipelines p ON p.id = f.pipeline_id WHERE f.month = ? ORDER BY p.position",
      months[0],
    ).map((r) => `${r.name}: funnel for ${months[0]}`);
    expect(
      await page.$$eval("section.report-chart h2", (hs) =>
        hs.map((h) => h.textContent).filter((t) => t?.includes("funnel")),
      ),
    ).toEqual(pipelines);

    // The heatmap: every weekday × hour, summing what the run wrote for everyone.
    const cells = await page.$$eval("#activity-heatmap tbody td", (tds) =>
      tds.map((td) => Number(td.textContent || 0)),
    );
    expect(cells).toHaveLength(7 * 24);
    const total = query(homeFile, "SELECT sum(interactions) AS n FROM analytics_heatmap")[0]?.n as number;
    expect(total).toBeGreaterThan(0);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(total);

    // The churn list: companies at high then medium risk, by name, as in analytics_churn.
    const churn = await page.$$eval("#churn-list tbody tr", (rows) =>
      rows.map((r) => {
        const cells = (r as HTMLTableRowElement).cells;
        return `${cells[0]?.textContent}|${cells[1]?.textContent}`;
      }),
    );
    expect(churn).toEqual(
      query(
        homeFile,
        `SELECT co.name, ch.risk FROM analytics_churn ch JOIN companies co ON co.id = ch.company_id
         WHERE ch.risk IN ('high', 'medium') ORDER BY ch.risk = 'high' DESC, ch.trend, co.name LIMIT 100`,
      ).map((r) => `${r.name}|${r.risk}`),
    );

    // Each drawn chart is an image named by its title, followed by its data table.
    const figures = await page.$$eval("section.report-chart", (sections) =>
      sections.map((s) =>
        Boolean(s.querySelector("svg.chart[role=img]") && s.querySelector("details table")),
      ),
    );
    expect(figures.length).toBeGreaterThan(2);
    expect(figures.every(Boolean)).toBe(true);
    // On a 390 px phone the page is no wider than the screen (the grids scroll inside their box).
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows one user's heatmap; a month or user the results do not hold is a 422 at its field", async () => {
    const client = await signIn(server.url, HOME, "member@ins.test");
    const owner = query(
      homeFile,
      "SELECT owner_id AS id, sum(interactions) AS n FROM analytics_heatmap GROUP BY owner_id ORDER BY n DESC LIMIT 1",
    )[0] as Row;
    const page = await client.get(`/t/${HOME}/reports/insights?owner=${owner.id}`);
    expect(page.status).toBe(200);
    const table =
      /<table class="list shaded" id="activity-heatmap">([\s\S]*?)<\/table>/.exec(page.text)?.[1] ?? "";
    const sum = [...table.matchAll(/<td class="num s\d"[^>]*>(\d*)<\/td>/g)].reduce(
      (a, m) => a + Number(m[1] || 0),
      0,
    );
    expect(sum).toBe(owner.n);

    const bad = await client.get(`/t/${HOME}/reports/insights?month=1999-01&owner=999999`);
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('id="insights-month-error">is not a month the funnel has figures for');
    expect(bad.text).toContain('id="insights-owner-error">is not a user the heatmap has figures for');

    // A member's segment names link to a new segment of those contacts.
    expect(page.text).toMatch(/href="\/t\/ins-home\/segments\/new\?name=[^"]*rules.0.field=rfmSegment/);
    const csv = await client.get(`/t/${HOME}/reports/insights/rfm-segments.csv`);
    expect(csv.status).toBe(200);
    expect(csv.text.split("\r\n")[0]).toBe("Segment,Contacts");
  });

  it("says honestly that nothing has been computed yet, and when it will be", async () => {
    const client = await signIn(server.url, FRESH, `owner@${FRESH}.test`);
    const page = await client.get(`/t/${FRESH}/reports/insights`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(
      `No analytics yet: they are computed nightly at ${AT}; an admin can run \`crm analytics run\`.`,
    );
    expect(page.text).not.toContain('id="rfm-grid"');
  });

  it("never shows another workspace's results", async () => {
    const client = await signIn(server.url, OTHER, `owner@${OTHER}.test`);
    const csv = await client.get(`/t/${OTHER}/reports/insights/rfm-segments.csv`);
    const rows = csv.text.trim().split("\r\n").slice(1);
    const otherCounts = query(otherFile, "SELECT segment, count(*) AS n FROM analytics_rfm GROUP BY segment");
    const homeTotal = query(homeFile, "SELECT count(*) AS n FROM analytics_rfm")[0]?.n;
    const shown = rows.reduce((a, r) => a + Number(r.split(",").pop()), 0);
    expect(shown).toBe(otherCounts.reduce((a, r) => a + r.n, 0));
    expect(shown).not.toBe(homeTotal);
    // The other workspace's session opens nothing of this one.
    const crossed = await client.get(`/t/${HOME}/reports/insights`);
    expect(crossed.status).not.toBe(200);
    expect(crossed.text).not.toContain('id="rfm-grid"');
  });
});

describe("contact and company pages", () => {
  it("show the contact's RFM segment, its company's churn risk and how fresh they are", async () => {
    const contact = query(
      homeFile,
      `SELECT c.id, r.segment, ch.risk FROM contacts c JOIN analytics_rfm r ON r.contact_id = c.id
       JOIN analytics_churn ch ON ch.company_id = c.company_id ORDER BY c.id LIMIT 1`,
    )[0] as Row;
    const client = await signIn(server.url, HOME, "reader@ins.test");
    const page = await client.get(`/t/${HOME}/contacts/${contact.id}`);
    expect(page.status).toBe(200);
    const section = /<section class="related record-insight"[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? "";
    expect(section).toContain(`<span class="badge rfm-segment">${contact.segment}</span>`);
    expect(section).toContain("Company churn risk");
    expect(section).toContain(`churn-${contact.risk}`);
    expect(section).toMatch(new RegExp(`Computed for ${RUN_DATE}, (just now|\\d+ minutes? ago)`));

    const company = query(
      homeFile,
      "SELECT company_id AS id, risk FROM analytics_churn ORDER BY risk = 'high' DESC LIMIT 1",
    )[0] as Row;
    const companyPage = await client.get(`/t/${HOME}/companies/${company.id}`);
    expect(companyPage.text).toContain(`<span class="badge churn-risk churn-${company.risk}">`);
  });
});

describe("segment rules over the nightly results", () => {
  async function membersOf(
    call: ReturnType<typeof api>,
    rules: unknown,
  ): Promise<{ total: number; ids: number[] }> {
    const created = await call("POST", `/t/${HOME}/segments`, {
      name: `s${Math.random()}`,
      ...(rules as object),
    });
    expect(`${created.status} ${created.text.slice(0, 300)}`).toStartWith("201");
    const members = await call("GET", `/t/${HOME}/segments/${created.json.id}/members?limit=100`);
    expect(members.status).toBe(200);
    return { total: members.json.total, ids: members.json.data.map((c: Row) => c.id) };
  }

  it("filter exactly the contacts plain SQL finds, and refuse a value that is not a named segment or level", async () => {
    const data = new DataDir(dir.path);
    const key = await data.apiKey(HOME, "member");
    data.close();
    const call = api(server.url, key);
    const count = (sql: string, ...params: string[]) => query(homeFile, sql, ...params)[0]?.n as number;
    const top = query(
      homeFile,
      "SELECT segment FROM analytics_rfm GROUP BY segment ORDER BY count(*) DESC LIMIT 2",
    ).map((r) => r.segment as string);
    const contacts = count("SELECT count(*) AS n FROM contacts");
    const cases: [unknown, number][] = [
      [
        { match: "all", rules: [{ field: "rfmSegment", op: "equals", value: top[0] }] },
        count(
          "SELECT count(*) AS n FROM analytics_rfm r JOIN contacts c ON c.id = r.contact_id WHERE r.segment = ?",
          top[0] as string,
        ),
      ],
      [
        { match: "all", rules: [{ field: "rfmSegment", op: "not_equals", value: top[0] }] },
        contacts -
          count(
            "SELECT count(*) AS n FROM analytics_rfm r JOIN contacts c ON c.id = r.contact_id WHERE r.segment = ?",
            top[0] as string,
          ),
      ],
      [
        { match: "all", rules: [{ field: "rfmSegment", op: "in", value: top }] },
        count(
          "SELECT count(*) AS n FROM analytics_rfm r JOIN contacts c ON c.id = r.contact_id WHERE r.segment IN (?, ?)",
          top[0] as string,
          top[1] as string,
        ),
      ],
      [
        { match: "all", rules: [{ field: "rfmSegment", op: "is_empty" }] },
        count("SELECT count(*) AS n FROM contacts WHERE id NOT IN (SELECT contact_id FROM analytics_rfm)"),
      ],
      [
        { match: "all", rules: [{ field: "churnRisk", op: "in", value: ["high", "medium"] }] },
        count(
          "SELECT count(*) AS n FROM contacts c JOIN analytics_churn ch ON ch.company_id = c.company_id WHERE ch.risk IN ('high', 'medium')",
        ),
      ],
      [
        {
          match: "all",
          rules: [
            { field: "churnRisk", op: "equals", value: "low" },
            { field: "rfmSegment", op: "not_equals", value: top[1] },
          ],
        },
        count(
          `SELECT count(*) AS n FROM contacts c JOIN analytics_churn ch ON ch.company_id = c.company_id
           WHERE ch.risk = 'low' AND c.id NOT IN (SELECT contact_id FROM analytics_rfm WHERE segment = ?)`,
          top[1] as string,
        ),
      ],
    ];
    const results = [];
    for (const [rules] of cases) results.push((await membersOf(call, rules)).total);
    expect(results).toEqual(cases.map(([, n]) => n));
    // Every rule matches someone ("has no segment": the people added since the run).
    expect(results.map((n) => n > 0)).toEqual([true, true, true, true, true, true]);

    // The members listed (a page, read contact by contact) are all in the segment.
    const listed = await membersOf(call, cases[0]?.[0]);
    const inSegment = new Set(
      query(homeFile, "SELECT contact_id AS id FROM analytics_rfm WHERE segment = ?", top[0] as string).map(
        (r) => r.id,
      ),
    );
    expect(listed.ids.length).toBeGreaterThan(0);
    expect(listed.ids.filter((id) => !inSegment.has(id))).toEqual([]);

    const before = count("SELECT count(*) AS n FROM segments");
    const refused = await call("POST", `/t/${HOME}/segments`, {
      name: "nope",
      match: "all",
      rules: [
        { field: "rfmSegment", op: "equals", value: "Best friends" },
        { field: "churnRisk", op: "equals", value: "extreme" },
      ],
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors.map((e: Row) => e.field)).toEqual(["rules.0.value", "rules.1.value"]);
    expect(count("SELECT count(*) AS n FROM segments")).toBe(before);
  });
});

describe("settings", () => {
  it("Settings → Workspace sets the time zone for admins: a bad name is shown at its field and nothing is written", async () => {
    const setting = () =>
      query(homeFile, "SELECT value FROM workspace_settings WHERE key = 'time_zone'")[0]?.value;
    const admin = await signIn(server.url, HOME, "admin@ins.test");
    const form = await admin.get(`/t/${HOME}/settings/workspace`);
    expect(form.status).toBe(200);
    const bad = await admin.post(`/t/${HOME}/settings/workspace`, { timeZone: "Mars/Olympus_Mons" });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain(
      'id="workspace-timeZone-error">must be an IANA time zone such as Europe/Paris or America/New_York',
    );
    expect(bad.text).toContain('value="Mars/Olympus_Mons"');
    expect(setting()).toBeUndefined();
    const empty = await admin.post(`/t/${HOME}/settings/workspace`, { timeZone: "  " });
    expect(empty.status).toBe(422);
    expect(setting()).toBeUndefined();

    const missingToken = await admin.postRaw(`/t/${HOME}/settings/workspace`, [["timeZone", "Europe/Paris"]]);
    expect(missingToken.status).toBe(403);
    for (const email of ["member@ins.test", "reader@ins.test"]) {
      const user = await signIn(server.url, HOME, email);
      expect((await user.get(`/t/${HOME}/settings/workspace`)).status).toBe(403);
      expect((await user.post(`/t/${HOME}/settings/workspace`, { timeZone: "Europe/Paris" })).status).toBe(
        403,
      );
    }
    expect(setting()).toBeUndefined();

    const saved = await admin.post(`/t/${HOME}/settings/workspace`, { timeZone: "America/New_York" });
    expect(saved.status).toBe(303);
    expect(setting()).toBe("America/New_York");
    const shown = await admin.get(saved.headers.get("location") as string);
    expect(shown.text).toContain("Time zone saved: America/New_York.");
    expect((await admin.get(`/t/${HOME}/reports/insights`)).text).toContain("time zone (America/New_York).");
  });

  it("Settings → Analytics shows admins the run ledger and the next run, without other workspaces' figures", async () => {
    for (const email of ["member@ins.test", "reader@ins.test"]) {
      const user = await signIn(server.url, HOME, email);
      expect((await user.get(`/t/${HOME}/settings/analytics`)).status).toBe(403);
    }
    const admin = await signIn(server.url, HOME, "admin@ins.test");
    const page = await admin.get(`/t/${HOME}/settings/analytics`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Nightly run at ${AT} (UTC, the server's time). Next run:`);
    const runs = /<table class="list" id="analytics-runs">([\s\S]*?)<\/table>/.exec(page.text)?.[1] ?? "";
    expect(runs).toContain(`<td>${RUN_DATE}</td><td>manual</td><td class="status-succeeded">succeeded</td>`);
    expect(runs).toMatch(/rfm: succeeded \(\d+(\.\d)? m?s\), cohorts: succeeded/);
    expect(runs).not.toContain("usage");
    expect(page.text).not.toContain(otherTenantId);
    const results =
      /<table class="list" id="analytics-results">([\s\S]*?)<\/table>/.exec(page.text)?.[1] ?? "";
    const rfmRows = query(homeFile, "SELECT rows FROM analytics_freshness WHERE job = 'rfm'")[0]?.rows;
    expect(results).toContain(`<td>rfm</td><td class="num">${rfmRows.toLocaleString("en-US")}</td>`);
  });

  it("the next run reads weekdays and hours in the time zone set on Settings → Workspace", async () => {
    const cells = () =>
      query(
        homeFile,
        "SELECT owner_id AS o, weekday AS d, hour AS h, interactions AS n FROM analytics_heatmap",
      )
        .map((r) => `${r.o} ${r.d} ${r.h} ${r.n}`)
        .sort();
    // Back to UTC, computed again, then Tokyo (UTC+9 all year): every cell moves 9 hours on.
    const admin = await signIn(server.url, HOME, "admin@ins.test");
    expect((await admin.post(`/t/${HOME}/settings/workspace`, { timeZone: "UTC" })).status).toBe(303);
    await crm("analytics", "export", "--data", dir.path);
    await crm("analytics", "run", "--date", RUN_DATE, "--data", dir.path);
    const utc = cells();
    expect(utc.length).toBeGreaterThan(20);
    expect((await admin.post(`/t/${HOME}/settings/workspace`, { timeZone: "Asia/Tokyo" })).status).toBe(303);
    await crm("analytics", "export", "--data", dir.path);
    await crm("analytics", "run", "--date", RUN_DATE, "--data", dir.path);
    const shifted = utc
      .map((cell) => {
        const [o, d, h, n] = cell.split(" ").map(Number) as [number, number, number, number];
        const hour = h + 9;
        return `${o} ${(d + Math.floor(hour / 24)) % 7} ${hour % 24} ${n}`;
      })
      .sort();
    expect(cells()).toEqual(shifted);
    const page = await admin.get(`/t/${HOME}/reports/insights`);
    expect(page.text).toContain("time zone (Asia/Tokyo).");
  }, 120_000);
});
