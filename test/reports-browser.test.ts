import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD } from "./support/workspace.ts";

/**
 * The reports pages in a real Chromium: each chart is well-formed SVG (parsed as XML on its
 * own), an image named by its title in the accessibility tree, readable on a 390 px phone, and
 * a hostile owner name stays text. The filters work with htmx (the section swapped, the URL
 * pushed) and without JavaScript (a plain GET form).
 */

const SLUG = "rep-browser";
const ANCHOR = Date.UTC(2026, 2, 20);
const RANGE = "from=2025-04-01&to=2026-03-20";
/** Markup, quotes, an ampersand and a control character XML forbids (the SVG shows U+FFFD for it). */
const HOSTILE = `<img src=x onerror="document.title='pwned'"><xss-tag></xss-tag>"Zoë' & <b>co</b>\u0001`;

const dir = tempDir("crm-reports-browser-");
let server: TestServer;
let browser: Browser;
let data: DataDir;
const problems: string[] = [];

/** A browser context signed in as the read-only reader (a context costs ~2 s here: the JavaScript ones share one). */
async function signedIn(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/t/${SLUG}/login`);
  await page.fill("input[name=email]", "reader@browser.test");
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForURL(`**/t/${SLUG}/contacts**`), page.click("button[type=submit]")]);
  return { context, page };
}

let page: Page;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  await data.user(SLUG, "reader@browser.test", "read-only");
  await data.user(SLUG, "zoe@browser.test", "member");
  await data.shards.use(data.get(SLUG), (s: Shard) => {
    s.statement("UPDATE users SET name = ? WHERE email = ?").run(HOSTILE, "zoe@browser.test");
    seedTenant(s, { contacts: 600, seed: 5, anchorMs: ANCHOR });
  });
  data.close();
  server = await startServer({ dataDir: dir.path });
  browser = await launchBrowser();
  page = (await signedIn(true)).page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

describe("reports in a real browser", () => {
  it("draws each chart as well-formed SVG, an image named by its title, followed by its table, within a 390 px screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const failures: string[] = [];
    let charts = 0;
    for (const name of ["pipeline", "win-rate", "activity", "new-contacts", "closing"]) {
      const response = await page.goto(`${server.url}/t/${SLUG}/reports/${name}?${RANGE}`);
      expect(`${name} ${response?.status()}`).toBe(`${name} 200`);
      // What the server sent, each <svg> on its own, parsed as XML by the browser.
      const sent = (await response?.text()) ?? "";
      const svgs = [
        ...sent.matchAll(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart"[\s\S]*?<\/svg>/g),
      ].map((m) => m[0]);
      const parsed = await page.evaluate((sources) => {
        return sources.map((source) => {
          const doc = new DOMParser().parseFromString(source, "image/svg+xml");
          const root = doc.documentElement;
          return {
            error: doc.getElementsByTagName("parsererror").length > 0 ? (root.textContent ?? "error") : null,
            namespace: root.namespaceURI,
            title: root.querySelector(":scope > title")?.textContent ?? null,
            marks: root.querySelectorAll("rect, circle, path").length,
          };
        });
      }, svgs);
      for (const [i, p] of parsed.entries()) {
        if (p.error || p.namespace !== "http://www.w3.org/2000/svg" || !p.title)
          failures.push(`${name} chart ${i}: ${JSON.stringify(p)}`);
      }
      // Each is an image named by its title in the accessibility tree, and its table follows it.
      for (const p of parsed) {
        if ((await page.getByRole("img", { name: p.title ?? "", exact: true }).count()) !== 1)
          failures.push(`${name}: no single image named ${p.title}`);
      }
      const order = await page.$$eval("section.report-chart", (sections) =>
        sections.map((s) => {
          const svg = s.querySelector("svg.chart");
          const table = s.querySelector("details table");
          return Boolean(
            svg && table && svg.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING,
          );
        }),
      );
      if (order.length !== svgs.length || order.includes(false))
        failures.push(`${name}: tables ${JSON.stringify(order)}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      if (overflow > 390) failures.push(`${name}: the page is ${overflow} px wide`);
      const widths = await page.$$eval("svg.chart", (all) => all.map((s) => s.getBoundingClientRect().width));
      if (widths.some((w) => w > 390 || w < 250))
        failures.push(`${name}: charts ${widths.join(", ")} px wide`);
      charts += svgs.length;
    }
    expect(failures).toEqual([]);
    expect(charts).toBe(9);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("keeps a hostile owner name as text in the chart, its tooltips and the owner menu", async () => {
    await page.goto(`${server.url}/t/${SLUG}/reports/win-rate?${RANGE}`);
    expect(await page.title()).not.toBe("pwned");
    expect(await page.locator("xss-tag, img[src=x], main b").count()).toBe(0);
    const tooltips = await page.$$eval("svg.chart rect > title", (titles) =>
      titles.map((t) => t.textContent),
    );
    expect(tooltips.some((t) => t?.startsWith(`${HOSTILE.replace("\u0001", "\uFFFD")}: `))).toBe(true);
    expect(await page.locator("select[name=ownerId] option", { hasText: "xss-tag" }).count()).toBe(1);
  });

  it("swaps the charts with htmx when the filters change, pushing the URL; a refused filter shows its message in place", async () => {
    problems.length = 0;
    await page.goto(`${server.url}/t/${SLUG}/reports/win-rate?${RANGE}`);
    await page.waitForFunction(() => "htmx" in window);
    await page.evaluate(() => {
      (window as unknown as { __same: boolean }).__same = true;
    });
    const rowsBefore = await page.locator("#win-rate-win-rate-by-owner-table tbody tr").count();
    expect(rowsBefore).toBeGreaterThan(2);
    const zoe = await page
      .locator("select[name=ownerId] option", { hasText: "xss-tag" })
      .getAttribute("value");
    await page.selectOption("select[name=ownerId]", zoe ?? "");
    await Promise.all([page.waitForURL(`**ownerId=${zoe}**`), page.click("#report button[type=submit]")]);
    await page.waitForFunction(
      () => document.querySelectorAll("#win-rate-win-rate-by-owner-table tbody tr").length === 1,
    );
    expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);

    await page.fill("#report-from", "2026-03-01");
    await page.fill("#report-to", "2026-01-01");
    await page.click("#report button[type=submit]");
    await page.waitForSelector("#report-from-error");
    expect(await page.textContent("#report-from-error")).toBe("must not be after to");
    expect(await page.locator("svg.chart").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
    expect(problems.filter((p) => !p.includes("422"))).toEqual([]);
  });

  it("works without JavaScript: the filters are a GET form, the page comes back with the charts for them", async () => {
    const { context, page } = await signedIn(false);
    await page.goto(`${server.url}/t/${SLUG}/reports/activity`);
    await page.fill("#report-from", "2026-02-02");
    await page.fill("#report-to", "2026-02-15");
    await Promise.all([
      page.waitForURL("**from=2026-02-02&to=2026-02-15**"),
      page.click("#report button[type=submit]"),
    ]);
    expect(await page.locator("svg.chart").count()).toBe(1);
    const weeks = await page.$$eval("#activity-per-week-table tbody tr td:first-child", (cells) => [
      ...new Set(cells.map((c) => c.textContent)),
    ]);
    expect(weeks).toEqual(["2026-02-02", "2026-02-09"]);
    await context.close();
  });
});
