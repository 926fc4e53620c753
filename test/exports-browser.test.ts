import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Download, Page } from "playwright-core";
import { launchBrowser, signInOnPage } from "./support/browser.ts";
import { readCsv } from "./support/read-csv.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, sidewaysOverflow, VIEWPORTS } from "./support/viewports.ts";
import { api, DataDir, PASSWORD } from "./support/workspace.ts";

/**
 * Issue 11, item 9, as a user meets it in Debian's chromium, at 1280×800 and 390×844: the owner
 * sets the workspace's time zone under Settings → Workspace, filters the contacts list, clicks
 * its "Export CSV" link and gets the file the browser downloads; then the deals list's "for
 * Excel". The files are read by DuckDB's CSV reader: the header names the zone, times are ISO
 * 8601 with that zone's offset, company and owner names sit beside their ids, a custom field is
 * a column headed by its label, and a cell that starts like a formula is given a leading `'`.
 * Each screen sets a different zone, so each export shows the setting it was made under.
 * test/exports-spreadsheet.test.ts checks the same files in every detail, without a browser.
 */

const SLUG = "export-browser";
const T = `/t/${SLUG}`;
const OWNER = `owner@${SLUG}.test`;
const SELLER = `sam@${SLUG}.test`;
const SELLER_NAME = "Sam Seller";
/** The export's instants: 12:00 UTC on 1 July and 12:30:05 UTC on 15 January. */
const SUMMER = Date.UTC(2026, 6, 1, 12, 0, 0);
const WINTER = Date.UTC(2026, 0, 15, 12, 30, 5);
/** Per screen: the zone set, and the two instants as that zone's ISO 8601 (worked out by hand). */
const ZONES = {
  desktop: {
    zone: "America/New_York",
    summer: "2026-07-01T08:00:00-04:00",
    winter: "2026-01-15T07:30:05-05:00",
  },
  phone: {
    zone: "Asia/Kolkata",
    summer: "2026-07-01T17:30:00+05:30",
    winter: "2026-01-15T18:00:05+05:30",
  },
} as const;
/** Cells that would run as formulas in a spreadsheet: each must come back with a leading `'`. */
const LEAD_SOURCE = '=HYPERLINK("https://evil.test","open")';
const JOB_TITLE = "@SUM(1+1)";
const CHANNEL = "+1 referral";

const dir = tempDir("crm-exports-browser-");
let data: DataDir;
let server: TestServer;
let browser: Browser;
/** One context and page for the file (a context costs seconds on a loaded machine), resized per screen. */
let context: BrowserContext;
let page: Page;
let sellerId = 0;
let companyId = 0;
let contactId = 0;
let dealId = 0;
const problems: string[] = [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG, OWNER);
  await data.user(SLUG, SELLER, "member");
  await data.shards.use(data.get(SLUG), (shard) => {
    shard.sqlite.run("UPDATE users SET name = ? WHERE email = ?", [SELLER_NAME, SELLER]);
    sellerId = (shard.statement("SELECT id FROM users WHERE email = ?").get(SELLER) as { id: number }).id;
  });
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  const call = api(server.url, await data.apiKey(SLUG, "owner"));
  const made = async (path: string, body: unknown) => {
    const answer = await call("POST", `${T}/${path}`, body);
    if (answer.status !== 201) throw new Error(`POST ${path}: ${answer.status} ${answer.text}`);
    return answer.json.id as number;
  };
  await made("custom-fields", { entity: "contact", key: "lead_source", label: "Lead source", type: "text" });
  await made("custom-fields", { entity: "deal", key: "channel", label: "Channel", type: "text" });
  companyId = await made("companies", { name: "Brightside Plumbing", ownerId: sellerId });
  contactId = await made("contacts", {
    firstName: "Ada",
    lastName: "Lovelace",
    email: "ada@brightside.test",
    title: JOB_TITLE,
    companyId,
    ownerId: sellerId,
    tags: ["vip"],
    customFields: { lead_source: LEAD_SOURCE },
  });
  // Not tagged: the filtered export must leave her out.
  await made("contacts", { firstName: "Grace", lastName: "Hopper", email: "grace@brightside.test" });
  dealId = await made("deals", {
    title: "Boiler renewal",
    amountCents: 240_000,
    companyId,
    ownerId: sellerId,
    customFields: { channel: CHANNEL },
  });
  // Known instants, one in summer time and one in winter time (where the zone has them).
  await data.shards.use(data.get(SLUG), (shard) => {
    for (const table of ["contacts", "companies", "deals"])
      shard.statement(`UPDATE ${table} SET created_at = ?, updated_at = ?`).run(SUMMER, WINTER);
  });
  context = await browser.newContext({ acceptDownloads: true });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  await signInOnPage(page, server.url, T, OWNER, PASSWORD);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

/** Clicks the link named `name` in the list's results and returns the download it starts. */
async function download(name: string): Promise<{ file: Download; bytes: Uint8Array }> {
  const link = page.locator(".results-foot .export-links").getByRole("link", { name, exact: true });
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const path = await file.path();
  return { file, bytes: new Uint8Array(readFileSync(path)) };
}

describe.each(VIEWPORTS)("exports at the $name size", (viewport) => {
  const expected = ZONES[viewport.name];

  it("a filtered contacts list downloads as a spreadsheet-friendly CSV in the zone set in Settings", async () => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });

    // Settings → Workspace: the time zone, saved through its form.
    await page.goto(`${server.url}${T}/settings/workspace`);
    await page.getByLabel("Time zone").fill(expected.zone);
    await Promise.all([
      page.waitForURL(`**${T}/settings/workspace?saved=1`),
      page.locator("form:has(#workspace-timeZone) button[type=submit]").click(),
    ]);
    expect(await page.getByRole("status").textContent()).toBe(`Time zone saved: ${expected.zone}.`);

    // The contacts list, filtered by tag in place; the export link follows the filter.
    await page.goto(`${server.url}${T}/contacts`);
    await page.waitForFunction(() => "htmx" in window);
    await page.click("details.filter-panel > summary");
    await page.locator('#list-filters select[name="tag"]').selectOption("vip");
    await page.waitForURL((url) => url.searchParams.get("tag") === "vip");
    await page.waitForFunction(() => document.querySelectorAll("#contact-rows tr").length === 1);
    // The panel closed again (it lies over the rows), so the screenshot shows the filtered list.
    await page.click("details.filter-panel > summary");
    expect(await sidewaysOverflow(page)).toBe(0);
    await keepScreenshot(page, `exports-contacts-filtered-${viewport.name}`);

    const href = await page
      .locator(".results-foot .export-links")
      .getByRole("link", { name: "Export CSV", exact: true })
      .getAttribute("href");
    const url = new URL(href ?? "", server.url);
    expect({ path: url.pathname, tag: url.searchParams.get("tag") }).toEqual({
      path: `${T}/exports/contacts.csv`,
      tag: "vip",
    });
    const { file, bytes } = await download("Export CSV");
    expect(file.suggestedFilename()).toMatch(new RegExp(`^${SLUG}-contacts-\\d{4}-\\d\\d-\\d\\d\\.csv$`));
    // No byte-order mark on the plain link (that is "for Excel").
    expect(bytes[0]).not.toBe(0xef);
    const { header, rows } = await readCsv(bytes, dir.path);
    const created = `created at (${expected.zone})`;
    const updated = `updated at (${expected.zone})`;
    expect(header).toContain(created);
    expect(header).toContain(updated);
    // Names right before their ids; the custom field last, by its label.
    expect(header.indexOf("company id")).toBe(header.indexOf("company") + 1);
    expect(header.indexOf("owner id")).toBe(header.indexOf("owner") + 1);
    expect(header.at(-1)).toBe("Lead source");
    expect(header).not.toContain("lead_source");
    // Only the tagged contact: Grace is not in the filter, so not in the file.
    expect(rows.map((row) => row["last name"])).toEqual(["Lovelace"]);
    expect(rows[0]).toMatchObject({
      id: String(contactId),
      "first name": "Ada",
      title: `'${JOB_TITLE}`,
      company: "Brightside Plumbing",
      "company id": String(companyId),
      owner: SELLER_NAME,
      "owner id": String(sellerId),
      tags: "vip",
      [created]: expected.summer,
      [updated]: expected.winter,
      "Lead source": `'${LEAD_SOURCE}`,
    });
    // The written time is the stored instant, exactly.
    expect(Date.parse(rows[0]?.[created] ?? "")).toBe(SUMMER);
    expect(Date.parse(rows[0]?.[updated] ?? "")).toBe(WINTER);
  }, 30_000);

  // In the zone the test above set for this screen.
  it("the deals list's 'for Excel' downloads with a byte-order mark, pipeline, stage, company and owner names beside their ids", async () => {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    await page.goto(`${server.url}${T}/deals`);
    await page.locator(`#deal-${dealId}`).waitFor();
    await keepScreenshot(page, `exports-deals-list-${viewport.name}`);

    const { file, bytes } = await download("for Excel");
    expect(file.suggestedFilename()).toMatch(new RegExp(`^${SLUG}-deals-\\d{4}-\\d\\d-\\d\\d\\.csv$`));
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const { header, rows } = await readCsv(bytes.slice(3), dir.path);
    for (const name of ["pipeline", "stage", "company", "owner"])
      expect(header.indexOf(`${name} id`)).toBe(header.indexOf(name) + 1);
    expect(header.at(-1)).toBe("Channel");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: String(dealId),
      title: "Boiler renewal",
      amount: "2400.00",
      pipeline: "Sales",
      stage: "Lead",
      company: "Brightside Plumbing",
      "company id": String(companyId),
      owner: SELLER_NAME,
      "owner id": String(sellerId),
      [`updated at (${expected.zone})`]: expected.winter,
      Channel: `'${CHANNEL}`,
    });
    expect(problems).toEqual([]);
  }, 30_000);
});
