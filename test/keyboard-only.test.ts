import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { type A11yRecords, seedA11yWorkspace, signInPage } from "./support/a11y-workspace.ts";
import { launchBrowser } from "./support/browser.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { keepScreenshot, sidewaysOverflow, VIEWPORTS } from "./support/viewports.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * The CRM from the keyboard alone, at 1280×800 and at 390×844 (the same steps: the phone layout
 * keeps every control in the page, the top bar's links in a strip that scrolls sideways): Tab, Shift+Tab, Enter, Space, the arrow keys
 * and typed text, never a click. After every step the test says where focus is (what
 * document.activeElement is), the way a keyboard or screen-reader user would find it.
 * One server, one browser, one page for the whole file.
 */

const SLUG = "keys-co";
const T = `/t/${SLUG}`;
const OWNER = "owner@keys.test";
/** What each screen's run creates and where it moves the deal (the runs share the workspace). */
const RUNS = {
  desktop: { first: "Zora", last: "Hurston", stage: "Qualified" },
  phone: { first: "Octavia", last: "Butler", stage: "Proposal" },
} as const;

let server: TestServer;
let browser: Browser;
let page: Page;
let data: DataDir;
let records: A11yRecords;
const dir = tempDir();
const problems: string[] = [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  [server, browser] = await Promise.all([startServer({ dataDir: dir.path }), launchBrowser()]);
  records = await seedA11yWorkspace(data, server.url, SLUG, OWNER);
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  // Delete's confirmation: a keyboard user presses Enter on OK.
  page.on("dialog", (dialog) => dialog.accept());
  await signInPage(page, server.url, SLUG, OWNER);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  data?.close();
  dir.remove();
});

/** What has focus, described: its tag, id, accessible text and the row/task/card it is in. */
function focused() {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return null;
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      name: el.getAttribute("name"),
      text: (el.getAttribute("aria-label") ?? el.textContent ?? "").replace(/\s+/g, " ").trim(),
      href: el.getAttribute("href"),
      value: el instanceof HTMLInputElement ? el.value : null,
      row: el.closest("tr")?.id ?? null,
      task: el.closest("li.task")?.id ?? null,
      card: el.closest(".card")?.id ?? null,
      column: el.closest("[data-stage-id]")?.querySelector("h2")?.textContent ?? null,
    };
  });
}

/**
 * Presses Tab (Shift+Tab with `back`) until focus is on an element matching `selector` (and,
 * when given, with exactly `text` as its text); returns how many presses it took.
 */
async function tabTo(
  selector: string,
  options: { text?: string; max?: number; back?: boolean } = {},
): Promise<number> {
  const max = options.max ?? 80;
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press(options.back ? "Shift+Tab" : "Tab");
    const there = await page.evaluate(
      ([s, text]) => {
        const el = document.activeElement;
        return Boolean(el?.matches(s) && (text === null || el.textContent?.trim() === text));
      },
      [selector, options.text ?? null] as const,
    );
    if (there) return presses;
  }
  throw new Error(
    `focus never reached ${selector} in ${max} Tabs; it is on ${JSON.stringify(await focused())}`,
  );
}

/**
 * Waits (up to 5 s: app.js moves focus once htmx has settled the answer) for focus to match
 * `expected`, then asserts it, so a miss shows where focus actually is.
 */
async function expectFocus(expected: Record<string, unknown>) {
  const deadline = Date.now() + 5_000;
  let now = await focused();
  const matches = () =>
    Object.entries(expected).every(([key, value]) => now?.[key as keyof typeof now] === value);
  while (Date.now() < deadline && !matches()) {
    await Bun.sleep(50);
    now = await focused();
  }
  expect(now).toMatchObject(expected);
  return now;
}

async function loaded(path: string) {
  await page.goto(`${server.url}${path}`);
  await page.waitForFunction(() => "htmx" in window);
}

/** Presses `key` and waits for the POST it causes (its path ending in `suffix`). */
async function posting(key: string, suffix: string) {
  await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === "POST" && new URL(r.url()).pathname.endsWith(suffix),
    ),
    page.keyboard.press(key),
  ]);
}

describe.each(VIEWPORTS.map((v) => [`${v.width}×${v.height}`, v] as const))(
  "keyboard only, at %s",
  (_size, viewport) => {
    const run = RUNS[viewport.name];
    const person = `${run.first} ${run.last}`;
    const shot = (step: string) => keepScreenshot(page, `keyboard-${viewport.name}-${step}`);

    beforeAll(async () => {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
    });

    it("reaches the first contact in three Tabs with the skip link (and counts them without it)", async () => {
      await loaded(`${T}/contacts`);
      const firstContact = await page.$eval("#contact-rows tr a[href]", (a) => a.getAttribute("href"));
      // Without the skip link: Tab after Tab through the top bar and the list's toolbar.
      const without = await tabTo("#contact-rows tr:first-child a[href]:not([href^=mailto])");

      await loaded(`${T}/contacts`);
      await page.keyboard.press("Tab");
      const skip = await focused();
      const shown = await page.$eval(".skip-link", (a) => {
        const box = a.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight && box.width > 1 && box.height > 1;
      });
      expect({ skip: skip?.text, href: skip?.href, shown }).toEqual({
        skip: "Skip to content",
        href: "#contact-rows",
        shown: true,
      });
      await shot("skip-link");
      await page.keyboard.press("Enter");
      await expectFocus({ tag: "tbody", id: "contact-rows" });
      // The row's checkbox, then its name.
      const with_ = 1 + (await tabTo("#contact-rows tr a[href]", { max: 5 }));
      const target = await focused();
      expect({ tabs: with_ <= 3, href: target?.href }).toEqual({ tabs: true, href: firstContact });
      console.log(
        `Tabs from page load to the first contact: ${without} without the skip link, ${with_} with it`,
      );
    });

    it("creates a contact, adds two tasks on its page, completes them, moves a deal: focus stays where the work is", async () => {
      await loaded(`${T}/contacts`);
      // 1. Quick add (behind the toolbar's "New contact", opened with Enter): the form starts
      // empty again with focus in its first field.
      await tabTo("details.quick-add-toggle > summary");
      await page.keyboard.press("Enter");
      await tabTo("#new-contact input[name=firstName]", { max: 3 });
      await page.keyboard.type(run.first);
      await tabTo("#new-contact input[name=lastName]", { max: 3 });
      await page.keyboard.type(run.last);
      await posting("Enter", `${T}/contacts`);
      await page.waitForSelector(`#contact-rows tr:has-text('${person}')`);
      await expectFocus({ tag: "input", name: "firstName", value: "" });
      await shot("1-contact-added");

      // 2. To the new contact's page (its name in the list, Enter) and two tasks there: the
      // task form empties and keeps focus for the next one.
      await tabTo("#contact-rows a[href]", { text: person });
      await Promise.all([page.waitForURL(/\/contacts\/\d+$/), page.keyboard.press("Enter")]);
      await page.waitForFunction(() => "htmx" in window);
      for (const title of ["Send the quote", "Book the site visit"]) {
        await tabTo("#new-task input[name=title]");
        await page.keyboard.type(title);
        await posting("Enter", `${T}/tasks`);
        await page.waitForSelector(`#record-tasks li.task:has-text('${title}')`);
        await expectFocus({ tag: "input", name: "title", value: "" });
      }
      await shot("2-tasks-added");

      // 3. Tick the first task: focus moves on to the next task's tick; ticking the last leaves
      // focus on the list, not at the top of the page.
      const [first, second] = await page.$$eval("#record-tasks li.task", (items) => items.map((li) => li.id));
      await tabTo("#record-tasks li.task:first-child button.check");
      await posting("Space", "/completion");
      await page.waitForSelector(`#${first}.done`);
      expect((await expectFocus({ tag: "button", task: second }))?.text).toMatch(/^Mark “.+” done$/);
      await posting("Enter", "/completion");
      await page.waitForSelector(`#${second}.done`);
      await expectFocus({ tag: "ul", id: "record-tasks" });
      await shot("3-tasks-done");

      // 4. The board: the deal's own Move button (its name says which deal), a stage in the
      // dialog, and focus back on the moved card's Move button, in its new column.
      await tabTo(".mainnav a", { text: "Deals" });
      await Promise.all([page.waitForURL(/\/deals\/board/), page.keyboard.press("Enter")]);
      await page.waitForFunction(() => "htmx" in window);
      const names = await page.$$eval("#board .card a.move", (links) =>
        links.map((a) => (a.textContent ?? "").replace(/\s+/g, " ").trim()),
      );
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain(`Move ${records.dealTitle} to…`);
      await tabTo(`#deal-${records.dealId} a.move`);
      await page.keyboard.press("Enter");
      expect(await page.$eval("#move-dialog", (d) => (d as HTMLDialogElement).open)).toBe(true);
      await tabTo("#move-dialog button[name=stageId]", { text: run.stage, max: 10 });
      await posting("Enter", "/stage");
      await expectFocus({
        tag: "a",
        card: `deal-${records.dealId}`,
        column: run.stage,
        text: `Move ${records.dealTitle} to…`,
      });
      // Focus on a card in a later column scrolls the board inside itself, never the page: at 390
      // px the cards' hidden "Move <title> to…" words once leaked out of it, 148 px to the right.
      expect(await sidewaysOverflow(page)).toBe(0);
      await shot("4-deal-moved");
    }, 40_000);

    it("edits a row in place and deletes one: focus on the edited row, then on the next row", async () => {
      await loaded(`${T}/contacts`);
      const [edited, deleted, next] = await page.$$eval("#contact-rows tr", (trs) => trs.map((tr) => tr.id));
      await tabTo(`#${edited} .row-actions a:not(.danger)`);
      expect((await focused())?.text).toMatch(/^Edit \S/);
      await page.keyboard.press("Enter");
      await page.waitForSelector(`#${edited}.editing`);
      await expectFocus({ tag: "input", name: "firstName", row: edited });
      // The company field's own suggestions (a request from inside the row) leave focus there.
      await tabTo(`#${edited} input[name=companyName]`, { max: 10 });
      await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/companies/options")),
        page.keyboard.type("Ac"),
      ]);
      await Bun.sleep(300);
      expect(await focused()).toMatchObject({ tag: "input", name: "companyName", row: edited });
      await page.keyboard.press("Backspace");
      await page.keyboard.press("Backspace");
      await tabTo(`#${edited} input[name=firstName]`, { max: 10, back: true });
      await page.keyboard.press("End");
      await page.keyboard.type("ine");
      await posting("Enter", `/contacts/${edited?.replace("contact-", "")}`);
      await page.waitForSelector(`#${edited}:not(.editing)`);
      expect((await expectFocus({ tag: "a", row: edited }))?.text).toMatch(/^Edit \S+ine /);

      await tabTo(`#${deleted} .row-actions a.danger`);
      expect((await focused())?.text).toMatch(/^Delete \S/);
      await posting("Enter", "/delete");
      await page.waitForSelector(`#${deleted}`, { state: "detached" });
      expect((await expectFocus({ tag: "a", row: next }))?.text).toMatch(/^Delete \S/);
      await shot("5-row-edited-deleted");
    });

    it("moves through the search dropdown with the arrow keys, focus staying in the search box", async () => {
      await loaded(`${T}/tasks`);
      await tabTo(".global-search input");
      await page.keyboard.type("acme");
      await page.waitForSelector("#search-listbox [role=option]");
      const state = () =>
        page.evaluate(() => {
          const input = document.querySelector(".global-search input") as HTMLInputElement;
          return {
            focusInBox: document.activeElement === input,
            expanded: input.getAttribute("aria-expanded"),
            active: input.getAttribute("aria-activedescendant"),
            selected: [...document.querySelectorAll("#search-listbox [aria-selected=true]")].map((o) => o.id),
          };
        });
      const options = await page.$$eval("#search-listbox [role=option]", (os) =>
        os.map((o) => ({ id: o.id, href: o.getAttribute("href") })),
      );
      expect(options.length).toBeGreaterThan(1);
      expect(await state()).toEqual({ focusInBox: true, expanded: "true", active: null, selected: [] });
      await page.keyboard.press("ArrowDown");
      const firstId = options[0]?.id ?? "";
      expect(await state()).toEqual({
        focusInBox: true,
        expanded: "true",
        active: firstId,
        selected: [firstId],
      });
      await page.keyboard.press("ArrowDown");
      expect((await state()).active).toBe(options[1]?.id ?? "");
      await page.keyboard.press("ArrowUp");
      await page.keyboard.press("ArrowUp");
      expect((await state()).active).toBe(options.at(-1)?.id ?? "");
      await shot("6-search-dropdown");
      // Escape closes the list and keeps the text.
      await page.keyboard.press("Escape");
      expect(await state()).toEqual({ focusInBox: true, expanded: "false", active: null, selected: [] });
      expect(await page.inputValue(".global-search input")).toBe("acme");

      // Typing again opens it again; Enter on the active option opens that record.
      await page.keyboard.press("Backspace");
      await page.waitForSelector("#search-listbox [role=option]");
      await page.keyboard.press("ArrowDown");
      const chosen = (await state()).active;
      const href = (await page.getAttribute(`#${chosen}`, "href")) ?? "";
      expect(href).toMatch(/^\/t\//);
      await Promise.all([page.waitForURL(`**${href}`), page.keyboard.press("Enter")]);
    });

    it("paints the contacts list, the board and a deal page (first-contentful-paint, printed)", async () => {
      const paints: Record<string, number> = {};
      const pages: [string, string][] = [
        ["contacts list", `${T}/contacts`],
        ["board", `${T}/deals/board`],
        ["deal page", `${T}/deals/${records.dealId}`],
      ];
      for (const [name, path] of pages) {
        await page.goto(`${server.url}${path}`);
        paints[name] = await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const seen = performance.getEntriesByName("first-contentful-paint")[0];
              if (seen) return resolve(Math.round(seen.startTime));
              new PerformanceObserver((list) => {
                const entry = list.getEntriesByName("first-contentful-paint")[0];
                if (entry) resolve(Math.round(entry.startTime));
              }).observe({ type: "paint", buffered: true });
            }),
        );
      }
      console.log(`first contentful paint at ${viewport.width}×${viewport.height} (ms):`, paints);
      for (const ms of Object.values(paints)) expect(ms).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    });
  },
);
