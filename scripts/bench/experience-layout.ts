/**
 * The contacts list as a person meets it (scripts/bench/experience.ts): how far down the page its
 * first row starts, and how many Tab presses reach that row's contact link, with and without the
 * skip link. Each measure opens the page in a fresh context at the given screen.
 */
import type { Browser, BrowserContextOptions, Page } from "playwright-core";

type Screen = { width: number; height: number };
type StorageState = BrowserContextOptions["storageState"];

/** The first row's link to its contact (the name; not the mailto link nor the company's). */
export const FIRST_CONTACT = '#contact-rows tr:first-child a[href*="/contacts/"]';

/** Where the blocks above the first row end, in CSS pixels from the top of the page. */
export interface AboveFirstRow {
  firstRowTop: number;
  topBarBottom: number;
  toolbarBottom: number;
  headerRowBottom: number;
  /** How far the page scrolls sideways (0: it fits the screen). */
  sideways: number;
}

async function openList(
  browser: Browser,
  url: string,
  screen: Screen,
  storageState: StorageState,
): Promise<Page> {
  const context = await browser.newContext({ viewport: screen, storageState });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const response = await page.goto(url, { waitUntil: "load" });
  if (response?.status() !== 200) throw new Error(`${url} answered ${response?.status()}`);
  // app.js (deferred) may still rearrange the toolbar: measure once it has run.
  await page.waitForFunction(() => "htmx" in window);
  return page;
}

/** The top of the first data row's box, the page scrolled to the top, and what stands above it. */
export async function aboveFirstRow(
  browser: Browser,
  url: string,
  screen: Screen,
  storageState: StorageState,
): Promise<AboveFirstRow> {
  const page = await openList(browser, url, screen, storageState);
  try {
    return await page.evaluate(() => {
      window.scrollTo(0, 0);
      const bottom = (selector: string) => {
        const box = document.querySelector(selector)?.getBoundingClientRect();
        return box ? Math.round(box.bottom + window.scrollY) : Number.NaN;
      };
      const row = document.querySelector("#contact-rows tr")?.getBoundingClientRect();
      if (!row) throw new Error("the contacts list has no row");
      return {
        firstRowTop: Math.round(row.top + window.scrollY),
        topBarBottom: bottom("header.topbar"),
        toolbarBottom: bottom(".list-toolbar"),
        headerRowBottom: bottom("#contacts-results thead, table thead"),
        sideways: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
      };
    });
  } finally {
    await page.context().close();
  }
}

/** What has focus, said in a few words (tag, id or class, and a control's text). */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "body";
    // A container's text is all its rows': only a control's is worth saying.
    const control = el.matches("a, button, input, select, textarea, summary");
    const text = control
      ? (el.getAttribute("aria-label") ?? el.textContent ?? "").replace(/\s+/g, " ").trim()
      : "";
    const name = el.id ? `#${el.id}` : el.classList.length ? `.${[...el.classList].join(".")}` : "";
    return `${el.tagName.toLowerCase()}${name}${text ? ` "${text.slice(0, 40)}"` : ""}`;
  });
}

/** Presses Tab until the first row's contact link has focus; the presses it took (null: never in `max`). */
async function tabsTo(page: Page, selector: string, max: number): Promise<number | null> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement === document.querySelector(s), selector))
      return presses;
  }
  return null;
}

export interface TabCount {
  /** Tabs from the page's load to the first contact, straight through the page. */
  straight: number | null;
  /** What the first Tab lands on (the skip link, if there is one). */
  firstTab: string;
  /** Whether it is a skip link (a link within the page). */
  skipLink: boolean;
  /** Where focus is after Enter on it. */
  afterEnter: string;
  /** Tabs after that Enter to the first contact (null: never, or no skip link to press Enter on). */
  afterSkip: number | null;
}

/**
 * Tab presses from a fresh load of the list to its first contact's link: straight through, and
 * Tab, Enter (on the skip link), then Tabs. Real key presses; focus read from activeElement.
 */
export async function tabsToFirstContact(
  browser: Browser,
  url: string,
  screen: Screen,
  storageState: StorageState,
  max = 120,
): Promise<TabCount> {
  let page = await openList(browser, url, screen, storageState);
  try {
    const straight = await tabsTo(page, FIRST_CONTACT, max);
    await page.context().close();
    page = await openList(browser, url, screen, storageState);
    await page.keyboard.press("Tab");
    const firstTab = await focused(page);
    // A skip link is a link within the page; Enter on anything else would leave it.
    const skipLink = await page.evaluate(() => document.activeElement?.matches('a[href^="#"]') ?? false);
    if (!skipLink) return { straight, firstTab, skipLink, afterEnter: "(not pressed)", afterSkip: null };
    await page.keyboard.press("Enter");
    const afterEnter = await focused(page);
    const afterSkip = await tabsTo(page, FIRST_CONTACT, max);
    return { straight, firstTab, skipLink, afterEnter, afterSkip };
  } finally {
    await page.context().close();
  }
}
