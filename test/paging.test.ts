import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/** 2,000 pages of 50: page 2,000 is the last. */
const CONTACTS = 100_000;
const PER_PAGE = 50;
const PAGES = CONTACTS / PER_PAGE;
/** A smaller workspace for a walk over every page in both directions. */
const NAMED = 3_000;
/** A walk this long can take a while on a busy 2-core machine; nothing here measures speed. */
const WALK_TIMEOUT_MS = 300_000;

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let namesOwner: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("deep-co", "owner@deep.test");
  const seeded = await data.shards.use(data.get("deep-co"), (s) =>
    // A fixed anchor: the same people every day.
    seedTenant(s, {
      contacts: CONTACTS,
      seed: 14,
      deals: 0,
      interactionsPerContact: 0,
      anchorMs: Date.UTC(2026, 0, 1),
    }),
  );
  expect(seeded.contacts).toBe(CONTACTS);
  await data.tenant("names-co", "owner@names.test");
  await data.shards.use(data.get("names-co"), (s) =>
    seedTenant(s, {
      contacts: NAMED,
      seed: 3,
      deals: 0,
      interactionsPerContact: 0,
      anchorMs: Date.UTC(2026, 0, 1),
    }),
  );
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "deep-co", "owner@deep.test");
  namesOwner = await signIn(server.url, "names-co", "owner@names.test");
}, WALK_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  data.close();
  dir.remove();
});

/** Contact ids in the order a list must show them, straight from the file. */
const idsInOrder = (slug: string, sql: string) =>
  data.shards.use(data.get(slug), (s) => (s.statement(sql).all() as { id: number }[]).map((r) => r.id));

/** What one results section shows: its rows and its pager's links (null where the link is disabled). */
function shown(text: string) {
  const link = (rel: string) => {
    const match = new RegExp(`<a href="([^"]+)" rel="${rel}" hx-get="([^"]+)"`).exec(text);
    expect(match?.[1]).toBe(match?.[2]); // the same URL with and without JavaScript
    return match ? (match[1] ?? "").replaceAll("&amp;", "&") : null;
  };
  return {
    rows: [...text.matchAll(/<tr id="contact-(\d+)">/g)].map((m) => Number(m[1])),
    first: link("first"),
    prev: link("prev"),
    next: link("next"),
  };
}

/**
 * The same bytes, uncompressed in transit: this client spent ~7 ms inflating each 54 KB page,
 * which would make a 2,000-page walk mostly decompression.
 */
const IDENTITY = { "accept-encoding": "identity" };

/** Follows a pager link as htmx does (the results fragment), or as a plain link (the whole page). */
async function open(href: string, as: "htmx" | "page" = "htmx") {
  const client = href.startsWith("/t/names-co/") ? namesOwner : owner;
  const response = await client.get(href, as === "htmx" ? { ...IDENTITY, "hx-request": "true" } : IDENTITY);
  expect(response.status).toBe(200);
  if (as === "htmx") expect(response.text).toStartWith('<section id="contacts-results"');
  return shown(response.text);
}

describe("paging through a long list on the pages", () => {
  it(
    "walks with Next to page 2,000 (the last) and back with Previous, each page holding exactly its rows",
    async () => {
      const order = await idsInOrder("deep-co", "SELECT id FROM contacts ORDER BY created_at DESC, id DESC");
      expect(order).toHaveLength(CONTACTS);
      const slice = (page: number) => order.slice((page - 1) * PER_PAGE, page * PER_PAGE);

      let current = await open("/t/deep-co/contacts", "page");
      expect(current).toMatchObject({ rows: slice(1), first: null, prev: null });
      for (let page = 2; page <= PAGES; page++) {
        const next: string | null = current.next;
        expect([page, typeof next]).toEqual([page, "string"]);
        current = await open(next as string);
        expect([page, current.rows]).toEqual([page, slice(page)]);
      }
      expect(current.next).toBeNull();
      expect(current.prev).not.toBeNull();
      // Page 2,000 as a plain link (no JavaScript) shows the same rows.
      const last = await open(
        `/t/deep-co/contacts?cursor=${new URL(current.prev as string, server.url).searchParams.get("cursor")}`,
        "page",
      );
      expect(last.rows).toEqual(slice(PAGES - 1));
      expect((await open(last.next as string, "page")).rows).toEqual(slice(PAGES));

      for (let page = PAGES - 1; page >= PAGES - 100; page--) {
        const prev: string | null = current.prev;
        expect([page, typeof prev]).toEqual([page, "string"]);
        current = await open(prev as string);
        expect([page, current.rows]).toEqual([page, slice(page)]);
        expect(current.next).not.toBeNull();
      }
      // Forward again from a page reached backwards: Next continues where it should.
      expect((await open(current.next as string)).rows).toEqual(slice(PAGES - 99));

      current = await open(current.first as string);
      expect(current).toMatchObject({ rows: slice(1), first: null, prev: null });
      current = await open(current.next as string);
      current = await open(current.next as string);
      expect(current.rows).toEqual(slice(3));
      current = await open(current.prev as string);
      expect(current.rows).toEqual(slice(2));
      current = await open(current.prev as string);
      // Back on page 1 by Previous: the same rows, and nothing before them.
      expect(current).toMatchObject({ rows: slice(1), prev: null, first: null });
      expect(current.next).not.toBeNull();
    },
    WALK_TIMEOUT_MS,
  );

  it(
    "sorted by name, walks every page forward and back, ties in the name broken the same way both ways",
    async () => {
      const order = await idsInOrder(
        "names-co",
        "SELECT id FROM contacts ORDER BY last_name, first_name, id",
      );
      expect(order).toHaveLength(NAMED);
      // Many people share a name: the walk crosses ties in the sort key, also at page edges.
      const shared = await data.shards.use(
        data.get("names-co"),
        (s) =>
          s
            .statement(
              "SELECT count(*) AS n FROM (SELECT 1 FROM contacts GROUP BY last_name, first_name HAVING count(*) > 1)",
            )
            .get() as { n: number },
      );
      expect(shared.n).toBeGreaterThan(10);
      const pages = Math.ceil(NAMED / PER_PAGE);
      const slice = (page: number) => order.slice((page - 1) * PER_PAGE, page * PER_PAGE);

      let current = await open("/t/names-co/contacts?sort=name", "page");
      expect(current.rows).toEqual(slice(1));
      for (let page = 2; page <= pages; page++) {
        current = await open(current.next as string);
        expect([page, current.rows]).toEqual([page, slice(page)]);
      }
      expect(current.next).toBeNull();
      for (let page = pages - 1; page >= 1; page--) {
        current = await open(current.prev as string);
        expect([page, current.rows]).toEqual([page, slice(page)]);
      }
      expect(current.prev).toBeNull();
    },
    WALK_TIMEOUT_MS,
  );

  it("the API pages both ways: nextCursor forward to the end, prevCursor back to the start, exact rows each way", async () => {
    const call = api(server.url, await data.apiKey("names-co", "read-only"));
    const order = await idsInOrder("names-co", "SELECT id FROM contacts ORDER BY last_name, first_name, id");
    const limit = 200;
    const pages = Math.ceil(NAMED / limit);
    const slice = (page: number) => order.slice((page - 1) * limit, page * limit);
    const get = async (cursor: string | null) => {
      const response = await call(
        "GET",
        `/t/names-co/contacts?sort=name&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(response.status).toBe(200);
      return response.json as {
        data: { id: number }[];
        nextCursor: string | null;
        prevCursor: string | null;
      };
    };
    let page = await get(null);
    expect(page.prevCursor).toBeNull();
    expect(page.data.map((r) => r.id)).toEqual(slice(1));
    for (let n = 2; n <= pages; n++) {
      page = await get(page.nextCursor);
      expect([n, page.data.map((r) => r.id)]).toEqual([n, slice(n)]);
    }
    expect(page.nextCursor).toBeNull();
    for (let n = pages - 1; n >= 1; n--) {
      expect([n, typeof page.prevCursor]).toEqual([n, "string"]);
      page = await get(page.prevCursor);
      expect([n, page.data.map((r) => r.id)]).toEqual([n, slice(n)]);
      expect(page.nextCursor).not.toBeNull();
    }
    // Back on the first page by prevCursor: nothing before it.
    expect(page.prevCursor).toBeNull();
  });
});
