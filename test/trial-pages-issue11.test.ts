import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser, signInOnPage } from "./support/browser.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, sidewaysOverflow, VIEWPORTS, type Viewport } from "./support/viewports.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * A hostile trial of issue 11's pages (the list toolbar, live counts, readable history,
 * forms that reset, the lost dialog), against the real server, in Debian's chromium at both
 * screens and with a client that runs no JavaScript. Holds are normal tests; each defect is an
 * `it.skip("DEFECT: …")` that passes once it is fixed.
 */

const SLUG = "trial11-co";
const T = `/t/${SLUG}`;
const OWNER = "owner@trial11.test";
const CONTACTS = 24;
const VIP = 5;
/** More deals than a page (50), with many equal amounts: ties the keyset cursor must break. */
const DEALS = 57;
const HOSTILE = {
  script: `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`,
  long: "W".repeat(200),
  rtl: "Acme\u202Egnp.exe\u202C Ltd",
};

let server: TestServer;
let browser: Browser;
let data: DataDir;
let client: BrowserClient;
let call: ReturnType<typeof api>;
const dir = tempDir();
const problems: string[] = [];
/** How many "Delete this …?" confirmations the next steps expect to accept. */
let confirmsExpected = 0;
let contactId = 0;
let hostileContactId = 0;
const dealIds: number[] = [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG, OWNER);
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  call = api(server.url, await data.apiKey(SLUG, "owner"));
  for (let i = 0; i < CONTACTS; i++) {
    const made = await call("POST", `${T}/contacts`, {
      firstName: `Kim${i}`,
      lastName: `Same`,
      email: `kim${i}@trial11.test`,
      tags: i < VIP ? ["vip"] : [],
    });
    expect(made.status).toBe(201);
    if (i === 0) contactId = made.json.id;
  }
  for (let i = 0; i < DEALS; i++) {
    const made = await call("POST", `${T}/deals`, { title: `Deal ${i}`, amountCents: (i % 3) * 100_000 });
    expect(made.status).toBe(201);
    dealIds.push(made.json.id);
  }
  // A contact whose history names companies with hostile names.
  const plain = (await call("POST", `${T}/companies`, { name: "Plain Co" })).json;
  hostileContactId = (
    await call("POST", `${T}/contacts`, {
      firstName: "Hostile",
      lastName: "History",
      email: `${"x".repeat(60)}@${"very-long-subdomain-".repeat(3)}example.test`,
      companyId: plain.id,
    })
  ).json.id;
  for (const name of [HOSTILE.script, HOSTILE.long]) {
    const made = await call("POST", `${T}/companies`, { name });
    if (made.status !== 201) throw new Error(`company ${name.slice(0, 20)}: ${made.status} ${made.text}`);
    const company = made.json;
    expect(company.id).toBeGreaterThan(0);
    expect(
      (
        await call("PATCH", `${T}/contacts/${hostileContactId}`, {
          companyId: company.id,
          title: name.slice(0, 100),
        })
      ).status,
    ).toBe(200);
  }
  client = await signIn(server.url, SLUG, OWNER);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

/** Every row id a list shows, page after page, following its Next links as a plain client. */
async function walkPages(path: string, row: RegExp): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let next: string | undefined = path;
  let pages = 0;
  while (next && pages < 10) {
    const page = await client.get(next);
    expect(page.status).toBe(200);
    pages++;
    for (const m of page.text.matchAll(row)) ids.push(Number(m[1]));
    const href = /<a href="([^"]+)" rel="next"/.exec(page.text)?.[1];
    next = href?.replaceAll("&amp;", "&");
  }
  return { ids, pages };
}

describe("paging a sorted, filtered list without JavaScript", () => {
  for (const order of ["asc", "desc"])
    it(`shows every deal exactly once across pages sorted by amount (${order}) with ties, in amount order`, async () => {
      const { ids, pages } = await walkPages(
        `${T}/deals?status=open&sort=amount&order=${order}`,
        /<tr id="deal-(\d+)"/g,
      );
      expect(pages).toBe(2);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort((a, b) => a - b)).toEqual([...dealIds].sort((a, b) => a - b));
      const amount = (id: number) => dealIds.indexOf(id) % 3;
      const amounts = ids.map(amount);
      const sorted = [...amounts].sort((a, b) => (order === "asc" ? a - b : b - a));
      expect(amounts).toEqual(sorted);
    });

  it("shows every contact exactly once sorted by name when every last name is the same", async () => {
    const { ids } = await walkPages(`${T}/contacts?sort=name&order=asc&q=Same`, /<tr id="contact-(\d+)"/g);
    expect(new Set(ids).size).toBe(CONTACTS);
    expect(ids.length).toBe(CONTACTS);
  });
});

describe("history with hostile names", () => {
  it("refuses a name with a right-to-left override, in the API and on the page form, writing nothing", async () => {
    const refused = await call("POST", `${T}/companies`, { name: HOSTILE.rtl });
    expect(refused.status).toBe(422);
    expect(refused.json.errors[0].field).toBe("name");
    const list = await client.get(`${T}/companies`);
    const form = client.forms(list.text).find((f) => f.id === "new-company");
    if (!form) throw new Error("no quick add for companies");
    const posted = await client.submit(form, { fill: { name: HOSTILE.rtl }, pageUrl: `${T}/companies` });
    expect(posted.status).not.toBe(303);
    expect(posted.text).toContain("bidirectional control characters");
    const all = (await call("GET", `${T}/companies?limit=100`)).json.data;
    expect(all.some((c: { name: string }) => c.name.includes("gnp.exe"))).toBe(false);
  });

  it("without JavaScript: escapes HTML in company names and titles on the history view", async () => {
    const page = await client.get(`${T}/contacts/${hostileContactId}?view=history`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("<script>window.__pwned");
    expect(page.text).not.toContain('<img src=x onerror="window.__pwned');
    expect(page.text).toContain("&lt;script&gt;window.__pwned=1&lt;/script&gt;");
    expect(page.text).toContain(HOSTILE.long);
  });
});

/** The start of today, in `zone`, as an instant (ms), found by stepping the wall clock. */
function startOfLocalDay(now: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(now));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return now - ((n("hour") * 60 + n("minute")) * 60 + n("second")) * 1000 - (now % 1000);
}

function localDayAndTime(ms: number, zone: string): { day: string; time: string } {
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(ms));
  const v = (t: string) => f.find((p) => p.type === t)?.value;
  return { day: `${v("year")}-${v("month")}-${v("day")}`, time: `${v("hour")}:${v("minute")}` };
}

describe("relative times across midnight in far zones", () => {
  for (const zone of ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    it(`${zone}: a call logged 10 min before local midnight reads 'yesterday', one 10 min after reads as today`, async () => {
      const now = Date.now();
      const midnight = startOfLocalDay(now, zone);
      // Only meaningful when local midnight is at least 11 minutes ago.
      if (now - midnight < 11 * 60_000) return;
      client.setCookie("tz", encodeURIComponent(zone));
      await client.get(`${T}/contacts/${contactId}`);
      const before = localDayAndTime(midnight - 10 * 60_000, zone);
      const after = localDayAndTime(midnight + 10 * 60_000, zone);
      for (const [summary, at] of [
        [`late ${zone}`, before],
        [`early ${zone}`, after],
      ] as const) {
        const logged = await client.post(`${T}/activities`, {
          subjectType: "contact",
          subjectId: String(contactId),
          kind: "call",
          direction: "inbound",
          occurredOn: at.day,
          occurredTime: at.time,
          summary,
        });
        expect(logged.status).toBe(303);
      }
      const page = (await client.get(`${T}/contacts/${contactId}`)).text;
      const timeOf = (summary: string) => {
        const at = page.indexOf(summary);
        const entry = page.slice(page.lastIndexOf("<li", at), at);
        return />([^<]*)<\/time>/.exec(entry)?.[1] ?? `(no time for ${summary})`;
      };
      // Under an hour old, a time reads "N min ago" whatever its day (views/components/local-time.ts):
      // run in the first 50 minutes after that zone's midnight, the late call is one of those.
      const lateAgo = now - (midnight - 10 * 60_000);
      expect(timeOf(`late ${zone}`)).toMatch(
        lateAgo < 3_600_000 ? /^\d+ min ago$/ : new RegExp(`^yesterday, ${before.time}$`),
      );
      const hours = Math.floor((now - (midnight + 10 * 60_000)) / 3_600_000);
      expect(timeOf(`early ${zone}`)).toMatch(hours === 0 ? /min ago$/ : new RegExp(`^${hours} h ago$`));
    });
});

/** The calendar day `days` after `day` ("YYYY-MM-DD"). */
const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

describe("task groups and the Tasks badge in far zones, without JavaScript", () => {
  for (const zone of ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
    it(`${zone}: tasks due late yesterday, late today and just after midnight land in Overdue, Today and Upcoming; the badge counts two`, async () => {
      const email = `${zone.split("/")[1]?.toLowerCase()}@trial11.test`;
      await data.user(SLUG, email, "member");
      const member = await signIn(server.url, SLUG, email);
      member.setCookie("tz", encodeURIComponent(zone));
      await member.get(`${T}/tasks`);
      const today = localDayAndTime(Date.now(), zone).day;
      for (const [title, dueOn, dueTime] of [
        ["late yesterday", addDays(today, -1), "23:50"],
        ["late today", today, "23:50"],
        ["just after midnight", addDays(today, 1), "00:10"],
      ]) {
        const added = await member.post(`${T}/tasks`, { title: `${title} ${zone}`, dueOn, dueTime } as Record<
          string,
          string
        >);
        expect(added.status).toBe(303);
      }
      const page = (await member.get(`${T}/tasks`)).text;
      const group = (id: string) => page.split(`<ul class="tasks" id="${id}">`)[1]?.split("</ul>")[0] ?? "";
      expect(group("overdue")).toContain(`late yesterday ${zone}`);
      expect(group("today")).toContain(`late today ${zone}`);
      expect(group("upcoming")).toContain(`just after midnight ${zone}`);
      const count = (id: string) =>
        new RegExp(`id="${id}-title"[^>]*>[^<]*<span class="count">(\\d+)<`).exec(page)?.[1];
      expect([count("overdue"), count("today"), count("upcoming")]).toEqual(["1", "1", "1"]);
      expect(/<span id="due-tasks"><span class="badge"[^>]*>(\d+)</.exec(page)?.[1]).toBe("2");
    });
});

async function signedInPage(viewport: Viewport): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`${viewport.name}: ${error.message}`));
  page.on("dialog", (dialog) => {
    if (dialog.type() === "confirm" && confirmsExpected > 0) {
      confirmsExpected--;
      void dialog.accept();
      return;
    }
    problems.push(`${viewport.name}: a ${dialog.type()} dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await signInOnPage(page, server.url, T, OWNER, PASSWORD);
  await page.waitForFunction(() => "htmx" in window);
  return { context, page };
}

/**
 * Types `text` into a record page's form and double-clicks its submit button, as an impatient
 * user does; returns how many tasks, or timeline entries (notes, logged calls), say `text`.
 */
async function doubleSubmit(page: Page, form: string, field: string, text: string): Promise<number> {
  await page.goto(`${server.url}${T}/contacts/${contactId}`);
  await page.fill(field, text);
  await page.dblclick(`${form} button[type=submit]`);
  await page.getByText(text).first().waitFor();
  await page.waitForTimeout(600);
  expect(await page.inputValue(field)).toBe("");
  const about = `subjectType=contact&subjectId=${contactId}`;
  const from = { "#new-task": "tasks?limit=100&", "#new-note": "notes?" }[form] ?? "interactions?limit=100&";
  const stored = (await call("GET", `${T}/${from}${about}`)).json.data;
  return (stored as unknown[]).filter((row) => JSON.stringify(row).includes(text)).length;
}

/** Double-clicks the companies list's quick add; returns how many companies have that name. */
async function doubleAdd(page: Page, company: string): Promise<number> {
  await page.goto(`${server.url}${T}/companies`);
  await page.click("details.quick-add-toggle > summary");
  await page.fill("#new-company input[name=name]", company);
  await page.dblclick("#new-company button[type=submit]");
  await page.locator("#company-rows tr", { hasText: company }).first().waitFor();
  await page.waitForTimeout(600);
  const all = (await call("GET", `${T}/companies?limit=100`)).json.data;
  return all.filter((c: { name: string }) => c.name === company).length;
}

/** Drags a board card onto a column with the events a mouse drag fires (HTML drag and drop). */
async function dropOn(page: Page, card: string, column: string): Promise<void> {
  await page.evaluate(
    ([c, col]) => {
      const from = document.querySelector(c as string);
      const to = document.querySelector(`${col} .cards`) ?? document.querySelector(col as string);
      if (!from || !to) throw new Error(`no ${c} or ${col}`);
      const dataTransfer = new DataTransfer();
      const fire = (el: Element, type: string) =>
        el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer }));
      fire(from, "dragstart");
      fire(to, "dragover");
      fire(to, "drop");
      fire(from, "dragend");
    },
    [card, column],
  );
}

/** The widest a list cell should get: the 22rem clamp on a cell's link, plus its padding. */
const CELL_CAP = 22 * 16 + 16;

/** The hostile contact's row cells on the contacts list: text, width, and overflow inside. */
async function hostileRowCells(page: Page) {
  await page.goto(`${server.url}${T}/contacts?q=Hostile`);
  const row = page.locator(`#contact-${hostileContactId}`);
  await row.waitFor();
  return await row.locator("td").evaluateAll((tds) =>
    tds.map((td) => ({
      text: td.textContent ?? "",
      width: Math.round(td.getBoundingClientRect().width),
      overflow: td.scrollWidth - td.clientWidth,
    })),
  );
}

const contactRows = (page: Page) =>
  page.$$eval("#contacts-results tbody tr", (rows) => rows.map((r) => r.id));

describe.each(VIEWPORTS.map((v) => [v.name, v] as const))("in the browser at %s", (name, viewport) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ context, page } = await signedInPage(viewport));
  }, 20_000);
  afterAll(async () => {
    await context?.close();
  });

  // A form's submit buttons are disabled while its request is in flight (app.js), so a second
  // click sends nothing.
  it("a double-clicked 'Add task' on a contact page adds the task once", async () => {
    const title = `Call back twice ${name}`;
    expect(await doubleSubmit(page, "#new-task", "#task-contact-title", title)).toBe(1);
    expect(await page.locator("li.task", { hasText: title }).count()).toBe(1);
  });

  it("a double-clicked 'Add note' on a contact page adds the note once", async () => {
    expect(await doubleSubmit(page, "#new-note", "#note-body", `Twice noted ${name}`)).toBe(1);
  });

  it("a double-clicked 'Log activity' on a contact page logs the call once", async () => {
    expect(await doubleSubmit(page, "#new-activity", "#activity-summary", `Twice called ${name}`)).toBe(1);
  });

  it("a double-clicked quick add on the companies list adds the company once", async () => {
    expect(await doubleAdd(page, `Twice Ltd ${name}`)).toBe(1);
  });

  it("after a double-clicked quick add, the list's summary counts the companies there are", async () => {
    await doubleAdd(page, `Twice Co ${name}`);
    const total = (await call("GET", `${T}/companies?limit=100`)).json.data.length;
    expect((await page.textContent("#companies-summary"))?.trim()).toBe(`${total} companies`);
    expect((await page.textContent("#bulk-matching"))?.trim()).toBe(`all ${total} matching`);
  });

  it("Back after a header sort and a filter shows the list the URL names", async () => {
    await page.goto(`${server.url}${T}/contacts`);
    const unsorted = await contactRows(page);
    await Promise.all([page.waitForURL(/sort=name/), page.click("th a.sort:text-is('Name')")]);
    await page.click("details.filter-panel > summary");
    await page.locator('#list-filters select[name="tag"]').selectOption("vip");
    await page.waitForURL((url) => url.searchParams.get("tag") === "vip");
    await page.waitForFunction(
      (n) => document.querySelectorAll("#contacts-results tbody tr").length === n,
      VIP,
    );
    await page.goBack();
    await page.waitForURL((url) => !url.searchParams.get("tag") && url.searchParams.get("sort") === "name");
    await page.waitForFunction(
      (n) => document.querySelectorAll("#contacts-results tbody tr").length === n,
      CONTACTS + 1,
    );
    expect(await page.getAttribute("th:has(a.sort:text-is('Name'))", "aria-sort")).toBe("ascending");
    await page.goBack();
    await page.waitForURL((url) => url.search === "");
    await page.waitForFunction(() => !document.querySelector("th[aria-sort=ascending]"));
    expect(await contactRows(page)).toEqual(unsorted);
  });

  it("select-all, then a bulk change to 'all matching' after filtering in place, touches only the filtered rows", async () => {
    await page.goto(`${server.url}${T}/contacts`);
    await page.click("details.filter-panel > summary");
    await page.locator('#list-filters select[name="tag"]').selectOption("vip");
    await page.waitForFunction(
      (n) => document.querySelectorAll("#contacts-results tbody tr").length === n,
      VIP,
    );
    await page.click("details.filter-panel > summary");
    await page.locator("thead input.select-all").check();
    await page.locator("#bulk-form select[name=action]").selectOption("addTag");
    await page.fill("#bulk-form input[name=tag]", `bulk-${name}`);
    await page.locator('#bulk-form input[name=scope][value="all"]').check();
    expect((await page.textContent("#bulk-matching"))?.trim()).toBe(`all ${VIP} matching`);
    // "All matching" runs as a background job: its page, then the tag on the matching rows.
    await Promise.all([page.waitForURL(/\/background\//), page.click("#bulk-form button[type=submit]")]);
    let tagged = 0;
    for (let i = 0; i < 30 && tagged < VIP; i++) {
      await Bun.sleep(100);
      tagged = (await call("GET", `${T}/contacts?tag=bulk-${name}&limit=100`)).json.data.length;
    }
    await Bun.sleep(300);
    expect((await call("GET", `${T}/contacts?tag=bulk-${name}&limit=100`)).json.data.length).toBe(VIP);
  });

  it("history with hostile names runs no script and does not scroll sideways", async () => {
    await page.goto(`${server.url}${T}/contacts/${hostileContactId}?view=history`);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await sidewaysOverflow(page)).toBe(0);
    await keepScreenshot(page, `trial11-hostile-history-${name}`);
    await page.goto(`${server.url}${T}/contacts/${hostileContactId}`);
    expect(await sidewaysOverflow(page)).toBe(0);
    await keepScreenshot(page, `trial11-hostile-contact-${name}`);
  });

  it("the search combobox: arrow keys pick a hostile-named company, shown escaped and inside the screen", async () => {
    await page.goto(`${server.url}${T}/contacts`);
    const box = page.locator('input[role="combobox"]');
    await box.fill("WWWWWWWWWW");
    const option = page.locator("#search-listbox [role=option]").first();
    await option.waitFor();
    await box.press("ArrowDown");
    expect(await box.getAttribute("aria-activedescendant")).toBe(await option.getAttribute("id"));
    const edges = await page.$$eval("#search-dropdown, #search-listbox [role=option]", (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { left: Math.round(r.left), right: Math.round(r.right) };
      }),
    );
    for (const edge of edges) {
      expect(edge.left).toBeGreaterThanOrEqual(0);
      expect(edge.right).toBeLessThanOrEqual(viewport.width);
    }
    expect(await sidewaysOverflow(page)).toBe(0);
    await keepScreenshot(page, `trial11-search-long-${name}`);
    await box.fill("pwned");
    await page.locator("#search-listbox [role=option]").first().waitFor();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("#search-dropdown img, #search-dropdown script").count()).toBe(0);
    await box.press("ArrowDown");
    await Promise.all([page.waitForURL(/\/companies\/\d+/), box.press("Enter")]);
  });

  it("a long email on the contacts list stays inside its column and the screen", async () => {
    const cells = await hostileRowCells(page);
    const email = cells.find((c) => c.text.startsWith("xxxxxxxx"));
    if (!email) throw new Error("no email cell");
    expect(email.width).toBeLessThanOrEqual(Math.min(viewport.width, CELL_CAP));
    expect(email.overflow).toBeLessThanOrEqual(1);
    expect(await sidewaysOverflow(page)).toBe(0);
    await keepScreenshot(page, `trial11-long-email-${name}`);
  });

  // Suspect: views/contacts/contact-row.raw.ts:24 renders the title as bare text, and
  // views/assets/app.css:1173 gives bare-text cells only `overflow-wrap: break-word`, which does
  // not lower an auto-layout table's min-content width (the clamp at :1177 is for links only).
  it("keeps every cell of a row with a 100-character unbroken job title within 22rem, and the contacts list within the screen", async () => {
    const cells = await hostileRowCells(page);
    for (const cell of cells) expect(cell.width).toBeLessThanOrEqual(Math.min(viewport.width, CELL_CAP));
    const table = await page.$eval("table.list", (t) => t.getBoundingClientRect().width);
    if (name === "desktop") expect(table).toBeLessThanOrEqual(viewport.width);
  });

  it("keyboard only: the Filters disclosure opens with Enter, a filter is picked with the arrows, focus stays on it", async () => {
    await page.goto(`${server.url}${T}/contacts`);
    await page.focus("details.filter-panel > summary");
    await page.keyboard.press("Enter");
    expect(await page.getAttribute("details.filter-panel", "open")).not.toBeNull();
    let presses = 0;
    while (
      presses < 12 &&
      !(await page.evaluate(() => document.activeElement?.getAttribute("name") === "tag"))
    ) {
      await page.keyboard.press("Tab");
      presses++;
    }
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("tag");
    await page.keyboard.press("ArrowDown");
    await page.waitForURL((url) => !!url.searchParams.get("tag"));
    await page.waitForTimeout(400);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("tag");
  });

  it("Back and Forward across a sorted list's pages (htmx Next) show the rows the URL names", async () => {
    await page.goto(`${server.url}${T}/deals?sort=amount&order=asc`);
    const rows = () => page.$$eval("table.list tbody tr", (trs) => trs.map((tr) => tr.id));
    const first = await rows();
    expect(first.length).toBe(50);
    await Promise.all([page.waitForURL(/cursor=/), page.click('nav.pager a[rel="next"]')]);
    await page.waitForFunction(() => document.querySelectorAll("table.list tbody tr").length === 7);
    const second = await rows();
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    await page.goBack();
    await page.waitForURL((url) => !url.searchParams.get("cursor"));
    await page.waitForFunction(() => document.querySelectorAll("table.list tbody tr").length === 50);
    expect(await rows()).toEqual(first);
    await page.goForward();
    await page.waitForURL(/cursor=/);
    await page.waitForFunction(() => document.querySelectorAll("table.list tbody tr").length === 7);
    expect(await rows()).toEqual(second);
    expect(await page.getAttribute("th:has(a.sort:text-is('Amount'))", "aria-sort")).toBe("ascending");
  });

  it("ticking select-all then filtering in place leaves the ticks, select-all and the bulk bar agreeing", async () => {
    await page.goto(`${server.url}${T}/contacts`);
    await page.locator("thead input.select-all").check();
    expect(await page.locator("#bulk-form").isVisible()).toBe(true);
    await page.click("details.filter-panel > summary");
    await page.locator('#list-filters select[name="tag"]').selectOption("vip");
    await page.waitForFunction(
      (n) => document.querySelectorAll("#contacts-results tbody tr").length === n,
      VIP,
    );
    await page.click("details.filter-panel > summary");
    const state = await page.evaluate(() => {
      const boxes = [
        ...document.querySelectorAll<HTMLInputElement>('#contacts-results tbody input[name="ids"]'),
      ];
      const all = document.querySelector<HTMLInputElement>("thead input.select-all");
      return {
        ticked: boxes.filter((b) => b.checked).length,
        rows: boxes.length,
        selectAll: all?.checked ?? null,
        indeterminate: all?.indeterminate ?? null,
      };
    });
    expect(state.selectAll).toBe(state.ticked === state.rows && state.rows > 0);
    expect(state.indeterminate).toBe(state.ticked > 0 && state.ticked < state.rows);
    expect(await page.locator("#bulk-form").isVisible()).toBe(state.ticked > 0);
  });

  /** Waits until the companies list's summary and bulk form say the server's count. */
  const summaryIsTotal = async () => {
    const total = (await call("GET", `${T}/companies?limit=100`)).json.data.length;
    await page.waitForFunction(
      (t) =>
        document.querySelector("#companies-summary")?.textContent?.trim() === `${t} companies` &&
        document.querySelector("#bulk-matching")?.textContent?.trim() === `all ${t} matching`,
      total,
      { timeout: 3_000 },
    );
  };

  /** Two new companies on a freshly loaded list, the first then deleted "in another tab" (the API). */
  const deletedElsewhere = async (label: string) => {
    const made: number[] = [];
    for (const i of [1, 2])
      made.push((await call("POST", `${T}/companies`, { name: `${label} ${name} ${i}` })).json.id);
    await page.goto(`${server.url}${T}/companies`);
    expect((await call("DELETE", `${T}/companies/${made[0]}`)).status).toBe(204);
    return made as [number, number];
  };

  it("a company deleted in another tab, then a row deleted here: the summary and 'all N matching' say what the server holds", async () => {
    const [, here] = await deletedElsewhere("Gone");
    confirmsExpected = 1;
    await page.locator(`#company-${here} .row-actions a[href$="/delete"]`).click();
    await page.locator(`#company-${here}`).waitFor({ state: "detached" });
    await summaryIsTotal();
  });

  // Suspect: views/assets/app.js:60-65 swaps the row away only on a 2xx answer, and the company
  // delete route answers 404 for a record already deleted (rather than treating the delete as done).
  it("deleting a row in place that another tab already deleted takes the row away, and the summary counts the rows left", async () => {
    const [gone] = await deletedElsewhere("Stale");
    confirmsExpected = 1;
    await page.locator(`#company-${gone} .row-actions a[href$="/delete"]`).click();
    await page.waitForTimeout(500);
    await keepScreenshot(page, `trial11-delete-gone-row-${name}`);
    expect(await page.locator(`#company-${gone}`).count()).toBe(0);
    await summaryIsTotal();
    const rows = await page.locator("#company-rows tr").count();
    expect((await page.textContent("#companies-summary"))?.trim()).toBe(`${rows} companies`);
  });

  it("the lost dialog: Escape leaves the card where it was, focus stays inside while open and comes back to the card", async () => {
    await page.goto(`${server.url}${T}/deals/board`);
    const id = dealIds[DEALS - (name === "desktop" ? 1 : 2)] as number;
    const card = page.locator(`#deal-${id}`);
    const from = await card.evaluate((c) => c.closest("[data-stage-id]")?.getAttribute("data-stage-id"));
    await dropOn(page, `#deal-${id}`, ".kind-lost[data-stage-id]");
    const dialog = page.locator("#lost-dialog");
    await dialog.waitFor({ state: "visible" });
    const where = () =>
      page.evaluate(() => {
        const a = document.activeElement;
        return `${a?.tagName}#${a?.id}.${a?.className} in dialog: ${!!a?.closest("#lost-dialog")}`;
      });
    expect(await where()).toBe("INPUT#lost-dialog-lostReason. in dialog: true");
    // Tab never reaches the board behind the modal dialog (past its last button focus leaves the
    // document for the browser's own controls, as every modal <dialog> does, then comes back).
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      expect(
        await page.evaluate(
          () => document.activeElement === document.body || !!document.activeElement?.closest("#lost-dialog"),
        ),
      ).toBe(true);
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    // The dialog's close event (queued after it hides) puts focus back on the card's Move link.
    await page.waitForFunction((i) => document.activeElement?.closest(`#deal-${i}`) != null, id, {
      timeout: 2_000,
    });
    expect(await card.evaluate((c) => c.closest("[data-stage-id]")?.getAttribute("data-stage-id"))).toBe(
      from,
    );
    // Clicking outside the dialog (on its backdrop) sends nothing either.
    await dropOn(page, `#deal-${id}`, ".kind-lost[data-stage-id]");
    await dialog.waitFor({ state: "visible" });
    await page.mouse.click(5, 5);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.waitForTimeout(300);
    expect((await call("GET", `${T}/deals/${id}`)).json.status).toBe("open");
    expect(await card.evaluate((c) => c.closest("[data-stage-id]")?.getAttribute("data-stage-id"))).toBe(
      from,
    );
    await keepScreenshot(page, `trial11-board-after-cancel-${name}`);
  });
});

describe("task, note and activity edit and delete pages without JavaScript", () => {
  it("edits and deletes a task and a note through their pages, back on the record", async () => {
    const record = `${T}/contacts/${contactId}`;
    const about = { subjectType: "contact", subjectId: String(contactId) };
    const task = (await call("POST", `${T}/tasks`, { ...about, subjectId: contactId, title: "Plain task" }))
      .json;
    const note = (await call("POST", `${T}/notes`, { ...about, subjectId: contactId, body: "Plain note" }))
      .json;
    expect(note.id).toBeGreaterThan(0);
    const tasksList = (page: string) => page.split('id="record-tasks"')[1]?.split("</ul>")[0] ?? "";
    const notes = (page: string) =>
      [...page.matchAll(/<div class="text">([^<]*)<\/div>/g)].map((m) => m[1]).join("\n");
    for (const [path, fill, shows, part] of [
      [`${T}/tasks/${task.id}/edit`, { title: "Plain task, edited" }, "Plain task, edited", tasksList],
      [`${T}/notes/${note.id}/edit`, { body: "Plain note, edited" }, "Plain note, edited", notes],
    ] as const) {
      const page = await client.get(path);
      expect(page.status).toBe(200);
      const forms = client.forms(page.text);
      const edit = forms.find((f) => f.action === path.replace(/\/edit$/, ""));
      if (!edit) throw new Error(`no edit form on ${path}`);
      const saved = await client.submit(edit, { fill, pageUrl: path });
      expect(saved.status).toBe(303);
      expect(saved.headers.get("location")).toBe(record);
      expect(part((await client.get(record)).text)).toContain(shows);
      const again = client.forms((await client.get(path)).text).find((f) => f.action.endsWith("/delete"));
      if (!again) throw new Error(`no delete form on ${path}`);
      const deleted = await client.submit(again, { pageUrl: path });
      expect(deleted.status).toBe(303);
      expect(part((await client.get(record)).text)).not.toContain(shows);
    }
  });
});

describe("the viewer's time zone in the browser", () => {
  it("a browser in Pacific/Kiritimati reads the record page's times in its zone from the first page after sign-in", async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      timezoneId: "Pacific/Kiritimati",
    });
    try {
      const page = await context.newPage();
      await signInOnPage(page, server.url, T, OWNER, PASSWORD);
      await page.goto(`${server.url}${T}/contacts/${contactId}`);
      const titles = await page.$$eval("time[title]", (times) => times.map((t) => t.getAttribute("title")));
      expect(titles.length).toBeGreaterThan(0);
      for (const title of titles) expect(title).not.toMatch(/UTC$/);
      expect(await page.inputValue("#activity-occurredOn")).toBe(
        localDayAndTime(Date.now(), "Pacific/Kiritimati").day,
      );
    } finally {
      await context.close();
    }
  });
});

describe("the lost dialog with a blank reason", () => {
  /** Drops a fresh card on Lost, types a reason of spaces, presses Mark lost; what the user sees. */
  async function blankReason(shot: string) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      page.on("pageerror", (error) => problems.push(`lost blank: ${error.message}`));
      await signInOnPage(page, server.url, T, OWNER, PASSWORD);
      const id = (await call("POST", `${T}/deals`, { title: `Blank reason ${shot}`, amountCents: 1 })).json
        .id;
      await page.goto(`${server.url}${T}/deals/board`);
      await page.waitForFunction(() => "htmx" in window);
      await dropOn(page, `#deal-${id}`, ".kind-lost[data-stage-id]");
      await page.locator("#lost-dialog").waitFor({ state: "visible" });
      await page.fill("#lost-dialog-lostReason", "   ");
      await page.click("#lost-dialog button.danger");
      await page.waitForTimeout(700);
      await keepScreenshot(page, `trial11-lost-blank-reason-${shot}`);
      return {
        status: (await call("GET", `${T}/deals/${id}`)).json.status as string,
        dialogOpen: await page.locator("#lost-dialog").isVisible(),
        flash: (await page.textContent("#flash"))?.trim() ?? "",
      };
    } finally {
      await context.close();
    }
  }

  it("a reason of spaces: the deal stays open and the user is told something", async () => {
    const shown = await blankReason("hold");
    expect(shown.status).toBe("open");
    expect(shown.dialogOpen || shown.flash !== "").toBe(true);
  });

  // Suspect: views/assets/app.js:242 closes the dialog before the answer (and, unlike the Move
  // dialog at :165, does not check a trimmed reason); src/deals/board-routes.ts:81-82 throws a
  // ValidationError whose message src/http/on-error.ts:133 shows as is, field key first.
  it("a lost reason of only spaces keeps the dialog open with what was typed, and no field key is shown", async () => {
    const shown = await blankReason("defect");
    expect(shown.status).toBe("open");
    expect(shown.flash).not.toContain("lostReason");
    expect(shown.dialogOpen).toBe(true);
  });
});

describe("the browser", () => {
  it("reported no script errors and opened no alert", () => {
    expect(problems).toEqual([]);
  });
});
