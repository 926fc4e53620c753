import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser } from "playwright-core";
import { LIST_COUNT_CAP } from "../src/lists/count-cache.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { launchBrowser } from "./support/browser.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * README, "Lists": a list page counts at most 1,000 matching records on the server's thread and
 * says "More than 1,000 …" past that; the exact count is made in the worker pool and swapped in
 * by htmx as the page loads (GET /t/<slug>/<kind>/count with the list's filters). A page of a
 * tag filter reads along the sort's index when the tag is common, with the same rows in the
 * same order as any other way of reading it.
 */
const BIG = "countbig";
const SMALL = "countsmall";
const CONTACTS = 21_000;
/** Tags made here: on every contact (a long walk is not needed: one lookup per contact), on every other one, on 300. */
const TAGGED = { every: CONTACTS, half: CONTACTS / 2, few: 300 } as const;

let server: TestServer;
let data: DataDir;
let owner: BrowserClient;
let reader: BrowserClient;
const dir = tempDir();

const useBig = <R>(fn: (shard: Shard) => R) => data.shards.use(data.get(BIG), fn);

/** The list's summary line(s): "<p class="summary" …>text</p>", attributes and text. */
function summaries(html: string): { attrs: string; text: string }[] {
  return [...html.matchAll(/<p class="summary"([^>]*)>(.*?)<\/p>/g)].map((m) => ({
    attrs: m[1] as string,
    text: (m[2] as string).replace(/<[^>]+>/g, ""),
  }));
}

function onlySummary(html: string) {
  const found = summaries(html);
  expect(found).toHaveLength(1);
  return found[0] as { attrs: string; text: string };
}

const hxGet = (attrs: string) => /hx-get="([^"]+)"/.exec(attrs)?.[1]?.replaceAll("&amp;", "&") ?? null;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(BIG);
  await data.tenant(SMALL);
  await data.user(BIG, `reader@${BIG}.test`, "read-only");
  await useBig((shard) => {
    seedTenant(shard, { contacts: CONTACTS, seed: 11, deals: 0, interactionsPerContact: 0 });
    shard.transaction(() => {
      for (const name of Object.keys(TAGGED)) shard.sqlite.run("INSERT INTO tags (name) VALUES (?)", [name]);
      const tag = (name: string) => `(SELECT id FROM tags WHERE name = '${name}')`;
      shard.sqlite.run(
        `INSERT INTO contact_tags (contact_id, tag_id) SELECT id, ${tag("every")} FROM contacts`,
      );
      shard.sqlite.run(
        `INSERT INTO contact_tags (contact_id, tag_id) SELECT id, ${tag("half")} FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM contacts) WHERE n % 2 = 0`,
      );
      shard.sqlite.run(
        `INSERT INTO contact_tags (contact_id, tag_id) SELECT id, ${tag("few")} FROM contacts ORDER BY last_name DESC, id LIMIT 300`,
      );
    });
  });
  // The seed's log copied into the file now: a checkpoint the server ran later would move the
  // file's version (as a write does) between a count and the page that shows it.
  await useBig((shard) => shard.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)"));
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, BIG, `owner@${BIG}.test`);
  reader = await signIn(server.url, BIG, `reader@${BIG}.test`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("a list's count past the cap", () => {
  it("says 'More than 1,000 contacts' and fetches the exact count from the pool", async () => {
    expect(LIST_COUNT_CAP).toBe(1_000);
    const page = await owner.get(`/t/${BIG}/contacts`);
    expect(page.status).toBe(200);
    const summary = onlySummary(page.text);
    expect(summary.text).toBe("More than 1,000 contacts");
    const href = hxGet(summary.attrs);
    expect(href).toBe(`/t/${BIG}/contacts/count`);
    expect(summary.attrs).toContain('hx-trigger="load"');
    // The bulk form never names a number it does not know.
    expect(page.text).toContain("all more than 1,000 matching");

    const counted = await owner.request("GET", href as string, { headers: { "hx-request": "true" } });
    expect(counted.status).toBe(200);
    const exact = await useBig(
      (s) => (s.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n,
    );
    expect(exact).toBe(CONTACTS);
    expect(onlySummary(counted.text)).toEqual({ attrs: "", text: "21,000 contacts" });
    // Once counted (until the next write), the page shows it at once.
    expect(onlySummary((await owner.get(`/t/${BIG}/contacts`)).text).text).toBe("21,000 contacts");
  });

  it("counts a filtered list exactly in the pool, and again after a write", async () => {
    const page = await reader.get(`/t/${BIG}/contacts?tag=half&sort=name`);
    const summary = onlySummary(page.text);
    expect(summary.text).toBe("More than 1,000 contacts match");
    const href = hxGet(summary.attrs) as string;
    // The filters only: sort and columns do not change how many match.
    expect(href).toBe(`/t/${BIG}/contacts/count?tag=half`);
    const counted = await reader.request("GET", href, { headers: { "hx-request": "true" } });
    expect(onlySummary(counted.text).text).toBe("10,500 contacts match");

    // Another process takes the tag off one contact: the next count is exact again.
    await useBig((s) =>
      s.sqlite.run(
        "DELETE FROM contact_tags WHERE tag_id = (SELECT id FROM tags WHERE name = 'half') AND contact_id = (SELECT max(contact_id) FROM contact_tags WHERE tag_id = (SELECT id FROM tags WHERE name = 'half'))",
      ),
    );
    const again = await reader.request("GET", href, { headers: { "hx-request": "true" } });
    expect(onlySummary(again.text).text).toBe("10,499 contacts match");
    await useBig((s) =>
      s.sqlite.run(
        "INSERT INTO contact_tags (contact_id, tag_id) SELECT max(id), (SELECT id FROM tags WHERE name = 'half') FROM contacts WHERE id NOT IN (SELECT contact_id FROM contact_tags WHERE tag_id = (SELECT id FROM tags WHERE name = 'half'))",
      ),
    );
  });

  it("shows an exact count at once when at most 1,000 match, with nothing to fetch", async () => {
    const few = onlySummary((await owner.get(`/t/${BIG}/contacts?tag=few`)).text);
    expect(few).toEqual({ attrs: "", text: "300 contacts match" });
    const none = onlySummary((await owner.get(`/t/${BIG}/contacts?tag=nobody`)).text);
    expect(none).toEqual({ attrs: "", text: "0 contacts match" });
    const small = await signIn(server.url, SMALL, `owner@${SMALL}.test`);
    expect(onlySummary((await small.get(`/t/${SMALL}/contacts`)).text)).toEqual({
      attrs: "",
      text: "0 contacts",
    });
  });

  it("refuses a bad filter on the count route, and keeps other workspaces and signed-out users out", async () => {
    const bad = await owner.request("GET", `/t/${BIG}/contacts/count?ownerId=abc`, {
      headers: { "hx-request": "true" },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("ownerId");
    const small = await signIn(server.url, SMALL, `owner@${SMALL}.test`);
    // Another workspace's session is not this one's: sent to sign in.
    const other = await fetch(`${server.url}/t/${BIG}/contacts/count`, {
      redirect: "manual",
      headers: { cookie: `crm_session=${small.cookie("crm_session")}` },
    });
    expect(other.status).toBe(303);
    expect(other.headers.get("location")).toStartWith(`/t/${BIG}/login`);
    const anonymous = await fetch(`${server.url}/t/${BIG}/contacts/count`, { redirect: "manual" });
    expect(anonymous.status).toBe(303);
  });

  it("swaps the exact count in, in a real browser", async () => {
    // A write makes the count stale, so the page has to ask for it again.
    await useBig((s) =>
      s.sqlite.run("UPDATE contacts SET title = 'Counted' WHERE id = (SELECT min(id) FROM contacts)"),
    );
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser();
      const context = await browser.newContext();
      const page = await context.newPage();
      context.setDefaultTimeout(20_000);
      await page.goto(`${server.url}/t/${BIG}/login`);
      await page.fill("#login-email", `owner@${BIG}.test`);
      await page.fill("#login-password", PASSWORD);
      await Promise.all([page.waitForURL(`**/t/${BIG}/contacts`), page.click("main button[type=submit]")]);
      await page.waitForFunction(
        () => document.querySelector("#contacts-results .summary")?.textContent === "21,000 contacts",
      );
      expect(await page.locator(".summary").count()).toBe(1);
    } finally {
      await browser?.close();
    }
  }, 60_000);
});

describe("a page of a tag filter", () => {
  /** Every matching id in the list's order, straight from the file. */
  const expected = (tag: string, order: string) =>
    useBig((s) =>
      s
        .statement(
          `SELECT c.id FROM contacts c WHERE c.id IN (SELECT contact_id FROM contact_tags WHERE tag_id = (SELECT id FROM tags WHERE name = ?)) ORDER BY ${order}`,
        )
        .values(tag)
        .map((r) => r[0] as number),
    );

  const ORDERS = {
    "sort=name": "c.last_name ASC, c.first_name ASC, c.id ASC",
    "sort=name&order=desc": "c.last_name DESC, c.first_name DESC, c.id DESC",
    "sort=createdAt": "c.created_at DESC, c.id DESC",
    "sort=updatedAt&order=asc": "c.updated_at ASC, c.id ASC",
  } as const;

  it("has the same rows in the same order, forwards and back, however common the tag", async () => {
    const call = api(server.url, await data.apiKey(BIG, "read-only"));
    let checked = 0;
    for (const tag of Object.keys(TAGGED)) {
      for (const [query, order] of Object.entries(ORDERS)) {
        const want = await expected(tag, order);
        expect(want.length).toBeGreaterThan(0);
        const pages: number[][] = [];
        let cursor: string | null = null;
        for (let i = 0; i < 3; i++) {
          const url: string = `/t/${BIG}/contacts?tag=${tag}&${query}&limit=50${cursor ? `&cursor=${cursor}` : ""}`;
          const got = await call("GET", url);
          expect(got.status).toBe(200);
          pages.push(got.json.data.map((r: { id: number }) => r.id));
          cursor = got.json.nextCursor;
          expect(cursor).not.toBeNull();
        }
        expect({ tag, query, ids: pages.flat() }).toEqual({ tag, query, ids: want.slice(0, 150) });
        // Back from the fourth page: the third again.
        const back = await call(
          "GET",
          `/t/${BIG}/contacts?tag=${tag}&${query}&limit=50&cursor=${
            (await call("GET", `/t/${BIG}/contacts?tag=${tag}&${query}&limit=50&cursor=${cursor}`)).json
              .prevCursor
          }`,
        );
        expect(back.json.data.map((r: { id: number }) => r.id)).toEqual(want.slice(100, 150));
        checked++;
      }
    }
    expect(checked).toBe(12);
  }, 60_000);
});
