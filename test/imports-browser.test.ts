import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD } from "./support/workspace.ts";

/**
 * A CSV import as a person does it in a real Chromium: the Import button on the contacts list,
 * the upload, a column corrected on the mapping screen, the dry run, the run with its progress
 * bar filling to the end, then Undo; with htmx swapping the progress in place, and again with
 * JavaScript off (plain forms and the Refresh link).
 */
const SLUG = "imp-browser";
const dir = tempDir("crm-imports-browser-");
let server: TestServer;
let browser: Browser;
let data: DataDir;
let tenant: Tenant;
const problems: string[] = [];

// "E-post" is no export's name for an email column: the person maps it by hand.
const CSV = [
  "First Name,Last Name,E-post,Company Name",
  "Ada,Lovelace,ada@browser.test,Analytical Engines",
  "Grace,Hopper,grace@browser.test,Navy",
  "Alan,Turing,alan@browser.test,",
].join("\r\n");

async function signedIn(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/t/${SLUG}/login`);
  await page.fill("input[name=email]", `owner@${SLUG}.test`);
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForURL(`**/t/${SLUG}/contacts**`), page.click("button[type=submit]")]);
  return { context, page };
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG);
  server = await startServer({ dataDir: dir.path });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

const emails = () =>
  data.shards.use(tenant, (s) =>
    (s.statement("SELECT email FROM contacts ORDER BY email").all() as { email: string }[]).map(
      (r) => r.email,
    ),
  );

/** Waits for the task on `page` to finish: htmx swaps the section, or (no JavaScript) Refresh is followed. */
async function finished(page: Page, javaScript: boolean): Promise<string> {
  const status = page.locator(".task-progress .status");
  const deadline = performance.now() + 30_000;
  for (;;) {
    const text = (await status.textContent()) ?? "";
    if (/Done\.|Failed\.|Cancelled\./.test(text)) return text;
    if (performance.now() > deadline) throw new Error(`the task did not finish: ${text}`);
    if (javaScript) await page.waitForTimeout(50);
    else await Promise.all([page.waitForLoadState("load"), page.click("text=Refresh")]);
  }
}

/** The whole flow, from the contacts list to Undo. */
async function importAndUndo(page: Page, javaScript: boolean) {
  await page.goto(`${server.url}/t/${SLUG}/contacts`);
  await Promise.all([
    page.waitForURL(`**/t/${SLUG}/imports?kind=contacts`),
    page.click("a.button:text-is('Import')"),
  ]);
  expect(await page.locator("#import-kind").inputValue()).toBe("contact");
  await page.setInputFiles("#import-file", {
    name: "people.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(CSV),
  });
  await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("text=Upload and map columns")]);

  // The mapping screen: the known headers are mapped, E-post is left out until corrected.
  expect(await page.locator("#col-0").inputValue()).toBe("firstName");
  expect(await page.locator("#col-3").inputValue()).toBe("companyName");
  expect(await page.locator("#col-2").inputValue()).toBe("");
  await page.selectOption("#col-2", "email");
  await Promise.all([page.waitForURL(/\/background\/\d+$/), page.click("text=Check (dry run)")]);
  expect(await finished(page, javaScript)).toContain("Done.");
  await expect(page.locator(".task-progress").textContent()).resolves.toContain(
    "3 rows: 3 to create, 0 to update, 0 to skip, 0 rejected.",
  );
  await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("text=Back to the import")]);
  expect(await emails()).toEqual([]);

  await Promise.all([
    page.waitForURL(/\/background\/\d+$/),
    page.click("button:text-is('Import 3 contacts')"),
  ]);
  expect(await finished(page, javaScript)).toContain("Done.");
  const bar = page.locator(".task-progress progress");
  expect(await bar.getAttribute("max")).toBe("3");
  expect(await bar.getAttribute("value")).toBe("3");
  expect(await page.locator(".task-progress").textContent()).toContain("3 of 3");
  expect(await emails()).toEqual(["ada@browser.test", "alan@browser.test", "grace@browser.test"]);

  await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("text=Back to the import")]);
  await Promise.all([page.waitForURL(/\/imports\/\d+\/undo$/), page.click("text=Undo this import")]);
  expect(await page.locator("#undo-preview").textContent()).toContain("5 records it created will be removed");
  await Promise.all([page.waitForURL(/\/background\/\d+$/), page.click("text=Confirm Undo")]);
  expect(await finished(page, javaScript)).toContain("Done.");
  expect(await page.locator(".task-progress").textContent()).toContain("5 records removed, 0 restored.");
  expect(await emails()).toEqual([]);
}

describe("importing contacts in a browser", () => {
  it("with JavaScript: upload, correct a column, dry run, run to 100%, undo", async () => {
    const { context, page } = await signedIn(true);
    await importAndUndo(page, true);
    await context.close();
    expect(problems).toEqual([]);
  }, 90_000);

  it("without JavaScript, the same flow with plain forms and Refresh", async () => {
    const { context, page } = await signedIn(false);
    await importAndUndo(page, false);
    await context.close();
    expect(problems).toEqual([]);
  }, 90_000);
});
