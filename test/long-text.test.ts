import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, signInOnPage } from "./support/browser.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, sidewaysOverflow, VIEWPORTS, type Viewport } from "./support/viewports.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * Long text (issue 11, item 6): unbroken 200-character names in the lists, on the board's
 * cards, on record pages and in the search dropdown, at both screens. Nothing may stick out of
 * its column and the page may never scroll sideways; a name cut short keeps its whole text in
 * its title, and the record's page shows it whole. And a name over the limit is refused with a
 * message beside the field, not cut.
 */

const SLUG = "long-co";
const T = `/t/${SLUG}`;
const OWNER = "owner@long.test";
/** Unbroken: no space or hyphen where a line could break. All start with "Wide", to be found together. */
const FIRST = `Wide${"a".repeat(96)}`;
const LAST = `Wide${"b".repeat(96)}`;
const COMPANY = `Wide${"c".repeat(196)}`;
const DEAL = `Wide${"d".repeat(196)}`;

let server: TestServer;
let browser: Browser;
let data: DataDir;
let client: BrowserClient;
let call: ReturnType<typeof api>;
const ids = { contact: 0, company: 0, deal: 0 };
const dir = tempDir();

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG, OWNER);
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  call = api(server.url, await data.apiKey(SLUG, "owner"));
  const company = await call("POST", `${T}/companies`, { name: COMPANY, domain: "wide.test" });
  expect(company.status).toBe(201);
  ids.company = company.json.id;
  const contact = await call("POST", `${T}/contacts`, {
    firstName: FIRST,
    lastName: LAST,
    email: "wide@wide.test",
    companyId: ids.company,
    tags: ["wide"],
  });
  expect(contact.status).toBe(201);
  ids.contact = contact.json.id;
  const deal = await call("POST", `${T}/deals`, { title: DEAL, companyId: ids.company, amount: "1200" });
  expect(deal.status).toBe(201);
  ids.deal = deal.json.id;
  // Ordinary neighbours, so a long row shares its table with short ones.
  for (const name of ["Ann", "Bob"]) {
    expect(
      (await call("POST", `${T}/contacts`, { firstName: name, lastName: "Lee", companyId: ids.company }))
        .status,
    ).toBe(201);
    expect(
      (await call("POST", `${T}/deals`, { title: `${name}'s boiler`, companyId: ids.company })).status,
    ).toBe(201);
  }
  client = await signIn(server.url, SLUG, OWNER);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

/**
 * Every element matching `selector` that sticks out of its `container` (its closest ancestor
 * matching it) sideways, by more than a pixel of rounding: "what > container (by n px)".
 */
function overflowing(page: Page, selector: string, container: string): Promise<string[]> {
  return page.evaluate(
    ([selector, container]) => {
      const out: string[] = [];
      for (const element of document.querySelectorAll(selector)) {
        const box = element.closest(container);
        if (!box || box === element) continue;
        const r = element.getBoundingClientRect();
        const c = box.getBoundingClientRect();
        if (r.width === 0) continue;
        const by = Math.max(r.right - c.right, c.left - r.left);
        if (by > 1) out.push(`${selector} > ${container} (by ${Math.round(by)} px)`);
      }
      return out;
    },
    [selector, container] as const,
  );
}

async function signedInPage(viewport: Viewport): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  await signInOnPage(page, server.url, T, OWNER, PASSWORD);
  return { context, page };
}

describe.each(VIEWPORTS.map((v) => [v.name, v] as const))("200-character names at %s", (name, viewport) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ context, page } = await signedInPage(viewport));
  }, 30_000);
  afterAll(async () => {
    await context?.close();
  });

  it("wrap in the lists' cells, with the whole name in the link's title", async () => {
    for (const [list, text] of [
      ["contacts", `${FIRST} ${LAST}`],
      ["companies", COMPANY],
      ["deals", DEAL],
    ] as const) {
      await page.goto(`${server.url}${T}/${list}`);
      await keepScreenshot(page, `long-text-${list}-${name}`);
      expect(await sidewaysOverflow(page)).toBe(0);
      expect(await overflowing(page, "table.list td > *", "td")).toEqual([]);
      expect(await overflowing(page, ".results", "main")).toEqual([]);
      expect(await overflowing(page, ".list-toolbar > *", ".list-toolbar")).toEqual([]);
      const link = page.locator(`table.list td > a[title="${text}"]`);
      expect(await link.count()).toBe(1);
      expect(await link.textContent()).toBe(text);
      // On a laptop the whole table fits its box; on a phone it may scroll inside it, never the page.
      if (name === "desktop") {
        const scroll = await page.$eval(".table-scroll", (box) => box.scrollWidth - box.clientWidth);
        expect(scroll).toBe(0);
      }
    }
  });

  it("stay inside their cards on the board, which scrolls inside itself", async () => {
    await page.goto(`${server.url}${T}/deals/board`);
    await keepScreenshot(page, `long-text-board-${name}`);
    expect(await sidewaysOverflow(page)).toBe(0);
    expect(await overflowing(page, ".card", ".column")).toEqual([]);
    expect(await overflowing(page, ".card > *", ".card")).toEqual([]);
    // The columns scroll sideways inside the board (six do not fit a screen); the board itself stays in the page.
    expect(await overflowing(page, ".board", "main")).toEqual([]);
    expect(await page.$eval(".board", (b) => getComputedStyle(b).overflowX)).toBe("auto");
    expect(await page.getAttribute(`#deal-${ids.deal} .card-title`, "title")).toBe(DEAL);
  });

  it("show whole, wrapped, on the record pages", async () => {
    for (const [path, heading] of [
      [`contacts/${ids.contact}`, `${FIRST} ${LAST}`],
      [`companies/${ids.company}`, COMPANY],
      [`deals/${ids.deal}`, DEAL],
    ] as const) {
      await page.goto(`${server.url}${T}/${path}`);
      await keepScreenshot(page, `long-text-${path.split("/")[0]}-page-${name}`);
      expect(await sidewaysOverflow(page)).toBe(0);
      expect((await page.textContent("main h1"))?.includes(heading)).toBe(true);
      expect(await overflowing(page, "main h1", ".record")).toEqual([]);
      expect(await overflowing(page, ".record *", ".record")).toEqual([]);
    }
  });

  it("stay inside the search dropdown, which stays on the screen", async () => {
    await page.goto(`${server.url}${T}/contacts`);
    await page.waitForFunction(() => "htmx" in window);
    await page.fill(".global-search input[name=q]", "wide");
    await page.waitForSelector("#search-dropdown .hits a");
    await keepScreenshot(page, `long-text-search-${name}`);
    const box = await page.$eval("#search-dropdown", (d) => {
      const r = d.getBoundingClientRect();
      return { left: r.left, right: r.right, width: window.innerWidth };
    });
    expect(box.left).toBeGreaterThanOrEqual(0);
    expect(box.right).toBeLessThanOrEqual(box.width);
    expect(await overflowing(page, "#search-dropdown li > *", "#search-dropdown")).toEqual([]);
    expect(await page.locator(`#search-dropdown a[title="${COMPANY}"]`).count()).toBe(1);
    expect(await sidewaysOverflow(page)).toBe(0);
  });
});

describe("name length limits", () => {
  it("are stated in the contact forms, which carry no maxlength that would cut a paste", async () => {
    for (const path of [`${T}/contacts`, `${T}/contacts/new`]) {
      const page = await client.get(path);
      for (const field of ["firstName", "lastName"]) {
        const input =
          new RegExp(`<input id="[\\w-]+-${field}" name="${field}"[^>]*>`).exec(page.text)?.[0] ?? "";
        expect(input).not.toContain("maxlength");
        expect(input).toMatch(/aria-describedby="[\w-]+-hint"/);
      }
      expect(page.text).toContain(
        '<small class="field-hint" id="new-contact-firstName-hint">Up to 100 characters</small>'.replace(
          "new-contact",
          path.endsWith("/new") ? "contact" : "new-contact",
        ),
      );
    }
  });

  it("refuse a longer name beside the field, on the form and in the API, and write nothing", async () => {
    const before = (await call("GET", `${T}/contacts?limit=200`)).json.data.length;
    const long = `${"x".repeat(101)}`;
    const page = await client.get(`${T}/contacts/new`);
    const form = client.forms(page.text).find((f) => f.action === `${T}/contacts`);
    if (!form) throw new Error("no new-contact form");
    const refused = await client.submit(form, { fill: { firstName: long, lastName: "Lee" } });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(
      /<input id="contact-firstName" name="firstName"[^>]*aria-invalid="true"[^>]*>[\s\S]*?<small class="field-error" id="contact-firstName-error">must be at most 100 characters<\/small>/,
    );
    // What was typed comes back whole, to be shortened by the person, not by the page.
    expect(refused.text).toContain(`value="${long}"`);
    const api = await call("POST", `${T}/contacts`, { firstName: "Ann", lastName: long });
    expect(api.status).toBe(422);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(api.json)).toContain("lastName");
    expect(JSON.stringify(api.json)).toContain("must be at most 100 characters");
    expect((await call("GET", `${T}/contacts?limit=200`)).json.data.length).toBe(before);
    // A company's name and a deal's title: 200, said on their forms, refused past it.
    for (const [list, field] of [
      ["companies", "name"],
      ["deals", "title"],
    ] as const) {
      const form = await client.get(`${T}/${list}/new`);
      const input =
        new RegExp(`<input id="[\\w-]+-${field}" name="${field}"[^>]*>`).exec(form.text)?.[0] ?? "";
      expect(input).not.toContain("maxlength");
      expect(form.text).toContain("Up to 200 characters</small>");
      const tooLong = await call("POST", `${T}/${list}`, { [field]: "z".repeat(201) });
      expect(tooLong.status).toBe(422);
      expect(JSON.stringify(tooLong.json)).toContain("must be at most 200 characters");
    }
    // Exactly 100 is taken whole.
    const exact = await call("POST", `${T}/contacts`, { firstName: "y".repeat(100) });
    expect(exact.status).toBe(201);
    expect(exact.json.firstName).toBe("y".repeat(100));
  });
});
