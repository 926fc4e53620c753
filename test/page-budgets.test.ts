/**
 * Page budgets: the bytes of the pages people open most, uncompressed, on the demo workspace
 * `npm start` seeds (5,000 contacts, realistic names, 15-digit ids), held so that a change
 * that makes them heavier fails here rather than in a benchmark nobody runs. And, whatever the
 * budget, no list row and no board card carries htmx attributes of its own: a list's count of
 * hx-nonce does not grow with its rows (views/components/row-actions.raw.ts, app.js).
 *
 * Issue 10 asked for 30 KB for a list of 50 rows. On this data the rows alone are ~34 KB
 * (a row is ~690 bytes: a 15-digit id four times, three links with the workspace path, a
 * mailto link, the checkbox's accessible name), so the budget is what the page measured after
 * the per-row htmx attributes went (contacts 44.7 KB, deals 46.9, companies 47.3), with a
 * little room. Issue 11 then gave each row's Edit and Delete links the record's name (visually
 * hidden text, so a screen reader's list of links tells the rows apart): twice the name a row,
 * ~3.5 KB on companies and ~5.5 KB on deals, whose titles are long (contacts 47.8 KB,
 * companies 51.0, deals 52.5), hence 54 KB.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { DEMO } from "../src/cli/demo-workspace.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { signIn } from "./support/workspace.ts";

const KB = 1024;
const BUDGETS = {
  /** A list page of 50 rows (contacts, companies, deals). */
  list: 54 * KB,
  /**
   * The board: six columns of up to 20 cards. It measures up to 61,188 bytes (a Wednesday's
   * 120 cards; 109 to 120 by weekday, and ids of 14 or 15 digits): 60 KB left 252 bytes, so the
   * day CI ran on could fail it. 62 KB still fails a change that adds ~10 bytes a card.
   */
  board: 62 * KB,
  /** A deal's page. */
  deal: 40 * KB,
};

/** Fewer cards than the demo's board holds on any day of the week (109 on a Friday: see the board's test). */
const DEMO_BOARD_MIN_CARDS = 105;

const dir = tempDir("crm-budgets-");
let server: TestServer;
let owner: BrowserClient;
const T = `/t/${DEMO.slug}`;

beforeAll(async () => {
  // As `npm start` runs it: the demo seeded, then a group of processes (one per core by default).
  server = await startServer({ dataDir: dir.path, args: ["--demo", "--procs", "2"] });
  await server.waitForStderr(DEMO.password, 90_000);
  owner = await signIn(server.url, DEMO.slug, DEMO.email, DEMO.password);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

const bytes = (text: string) => Buffer.byteLength(text);
const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

async function page(path: string) {
  const response = await owner.get(path);
  expect({ path, status: response.status }).toEqual({ path, status: 200 });
  return response.text;
}

describe("page budgets on the demo workspace", () => {
  for (const [list, type] of [
    ["contacts", "contact"],
    ["companies", "company"],
    ["deals", "deal"],
  ] as const) {
    it(`the ${list} list of 50 rows stays within ${BUDGETS.list / KB} KB, with no htmx attribute per row`, async () => {
      const text = await page(`${T}/${list}`);
      expect(count(text, new RegExp(`<tr id="${type}-\\d+"`, "g"))).toBe(50);
      expect(bytes(text)).toBeLessThanOrEqual(BUDGETS.list);
      const rows = text.slice(text.indexOf(`<tbody id="${type}-rows"`), text.indexOf("</tbody>"));
      expect(rows).not.toContain("hx-");
      // The page's own htmx elements (search box, quick add, filters, count, pager): a handful.
      expect(count(text, /hx-nonce=/g)).toBeLessThanOrEqual(8);
    });
  }

  it(`the board, six columns of up to 20 cards, stays within ${BUDGETS.board / KB} KB, with one Move to… form`, async () => {
    const text = await page(`${T}/deals/board`);
    const columns = text.split('<section class="column').slice(1);
    expect(columns.length).toBe(6);
    // The demo is seeded relative to today, so a late stage can hold fewer than 20 deals on
    // some days: each column shows its 20 newest, or all it has.
    let cards = 0;
    for (const column of columns) {
      const deals = Number(/data-count="(\d+)"/.exec(column)?.[1]);
      expect(count(column, /<article class="card"/g)).toBe(Math.min(20, deals));
      cards += Math.min(20, deals);
    }
    // Nearly full, so the budget is measured on a board as heavy as the demo makes it. The demo
    // repeats weekly (its anchor is the start of the UTC day; only the weekday changes where
    // weekend times move, hence the random draws): its boards hold 109 cards on a Friday, 115 on
    // a weekend, 118 to 120 otherwise (measured with faketime on each weekday, December 2026).
    expect(cards).toBeGreaterThanOrEqual(DEMO_BOARD_MIN_CARDS);
    expect(bytes(text)).toBeLessThanOrEqual(BUDGETS.board);
    expect(count(text, /<form class="move-form"/g)).toBe(1);
    expect(count(text, /<a class="move" href="\/t\/demo\/deals\/\d+\/stage">/g)).toBe(cards);
    expect(count(text, /hx-nonce=/g)).toBeLessThanOrEqual(4);
  });

  it(`a deal's page stays within ${BUDGETS.deal / KB} KB`, async () => {
    const board = await page(`${T}/deals/board`);
    const deals = [...board.matchAll(/<a class="card-title" href="(\/t\/demo\/deals\/\d+)"/g)].map(
      (m) => m[1],
    );
    expect(deals.length).toBeGreaterThanOrEqual(DEMO_BOARD_MIN_CARDS);
    // The heaviest of the board's deals: the one with the most people, notes and history.
    let heaviest = 0;
    for (const deal of deals.slice(0, 30)) heaviest = Math.max(heaviest, bytes(await page(deal as string)));
    expect(heaviest).toBeGreaterThan(2 * KB);
    expect(heaviest).toBeLessThanOrEqual(BUDGETS.deal);
  });
});
