import { afterAll, beforeAll, beforeEach, describe, expect, it } from "bun:test";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { launchBrowser } from "./support/browser.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { sumOf } from "./support/metrics-samples.ts";
import { clearOfMinuteEdge, inOneMinute } from "./support/minute-edge.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * Conditional GETs for pages (src/app/conditional-page.ts): lists, the board, record pages and
 * tasks carry an ETag made of the workspace's version, the session, the time zone, the minute
 * and the URL, and a request naming it gets 304 before any rendering. Never a 304 after a
 * write, whichever process made it (two servers on one data directory here), nor for another
 * session or zone; never one that would make the stored page's scripts fail (no CSP on a 304).
 */
const T = "etag";
const dir = tempDir("crm-etag-");
let data: DataDir;
let one: TestServer;
let two: TestServer;
let owner: BrowserClient;
let callTwo: ReturnType<typeof api>;
let contactId = 0;
let dealId = 0;
let companyId = 0;

const queries = (header: string | null) => Number(/desc="(\d+) quer/.exec(header ?? "")?.[1]);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T);
  await data.shards.use(data.get(T), (shard) => {
    seedTenant(shard, { contacts: 80, seed: 5, deals: 60 });
    const first = (table: string) =>
      (shard.statement(`SELECT id FROM ${table} ORDER BY id LIMIT 1`).get() as { id: number }).id;
    contactId = first("contacts");
    dealId = first("deals");
    companyId = first("companies");
  });
  const key = await data.apiKey(T, "member");
  data.close();
  [one, two] = await Promise.all([startServer({ dataDir: dir.path }), startServer({ dataDir: dir.path })]);
  owner = await signIn(one.url, T, `owner@${T}.test`);
  callTwo = api(two.url, key);
}, 60_000);

afterAll(async () => {
  await one?.stop();
  await two?.stop();
  dir.remove();
});

// A 200 and its revalidation within one minute (see clearOfMinuteEdge).
beforeEach(() => clearOfMinuteEdge());

const PAGES = () => [
  `/t/${T}/contacts`,
  `/t/${T}/contacts?sort=name&order=asc`,
  `/t/${T}/companies`,
  `/t/${T}/deals`,
  `/t/${T}/deals/board`,
  `/t/${T}/tasks`,
  `/t/${T}/contacts/${contactId}`,
  `/t/${T}/companies/${companyId}`,
  `/t/${T}/deals/${dealId}`,
];

describe("conditional GETs for pages", () => {
  it("tags each page, stored privately, and answers its tag with an empty 304 without a policy or any rendering", async () => {
    for (const path of PAGES()) {
      // One page's 200 and its revalidations within one minute (the minute is in the tag).
      await inOneMinute(async () => {
        const page = await owner.get(path);
        const tag = page.headers.get("etag");
        expect({ path, status: page.status, tag }).toEqual({
          path,
          status: 200,
          tag: expect.stringMatching(/^W\/"\w+"$/),
        });
        expect(page.headers.get("cache-control")).toBe("private, no-cache");
        expect(page.headers.get("vary")).toContain("HX-Request");
        const again = await owner.get(path, { "if-none-match": tag as string });
        expect({ path, status: again.status, body: again.text }).toEqual({ path, status: 304, body: "" });
        expect(again.headers.get("etag")).toBe(tag);
        expect(again.headers.get("content-security-policy")).toBeNull();
        // No query of the page's own: only the session's and the version's.
        expect(queries(again.headers.get("server-timing"))).toBeLessThan(
          queries(page.headers.get("server-timing")),
        );
        // Compressed or not, the same tag; a list of tags with it in matches too. * never does
        // (whether the page exists is the handler's to say).
        const listed = await owner.get(path, {
          "if-none-match": `W/"other", ${tag}`,
          "accept-encoding": "gzip",
        });
        expect(listed.status).toBe(304);
        expect(listed.headers.get("vary")).toBe("HX-Request, Accept-Encoding");
        expect((await owner.get(path, { "if-none-match": "*" })).status).toBe(200);
      });
    }
  });

  it("never answers 304 after a write, even one made by another server process on the same file", async () => {
    const path = `/t/${T}/contacts/${contactId}`;
    const tag = await inOneMinute(async () => {
      const tag = (await owner.get(path)).headers.get("etag") as string;
      expect((await owner.get(path, { "if-none-match": tag })).status).toBe(304);
      return tag;
    });
    const renamed = await callTwo("PATCH", `/t/${T}/contacts/${contactId}`, { title: "Chief Etag Officer" });
    expect(renamed.status).toBe(200);
    const after = await owner.get(path, { "if-none-match": tag });
    expect(after.status).toBe(200);
    expect(after.text).toContain("Chief Etag Officer");
    expect(after.headers.get("etag")).not.toBe(tag);
    // And a write unrelated to the page moves every page's tag (the tag is the workspace's version).
    const list = await owner.get(`/t/${T}/deals`);
    await callTwo("POST", `/t/${T}/tasks`, { title: "unrelated" });
    expect(
      (await owner.get(`/t/${T}/deals`, { "if-none-match": list.headers.get("etag") as string })).status,
    ).toBe(200);
  });

  it("gives another session, another time zone and an htmx request their own answer, not the stored page", async () => {
    const path = `/t/${T}/deals/board`;
    const page = await owner.get(path);
    const tag = page.headers.get("etag") as string;
    // The same user signed in again: another session, another CSRF token in the page.
    const again = await signIn(one.url, T, `owner@${T}.test`);
    const other = await again.get(path, { "if-none-match": tag });
    expect(other.status).toBe(200);
    expect(other.headers.get("etag")).not.toBe(tag);
    // Another zone: days and times change.
    owner.setCookie("tz", "Pacific/Auckland");
    try {
      expect((await owner.get(path, { "if-none-match": tag })).status).toBe(200);
    } finally {
      owner.setCookie("tz", "UTC");
    }
    // A fragment of the same URL: never tagged, never 304.
    const fragment = await owner.get(path, { "hx-request": "true", "if-none-match": tag });
    expect(fragment.status).toBe(200);
    expect(fragment.headers.get("etag")).toBeNull();
    // Signed out: the login redirect, untagged; the sign-out asks the browser to drop what it stored.
    const signedOut = await again.post(`/t/${T}/logout`, {});
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get("clear-site-data")).toBe('"cache"');
    const refused = await again.get(path, { "if-none-match": tag });
    expect(refused.status).toBe(303);
    expect(refused.headers.get("etag")).toBeNull();
  });

  it("tags no page that shows what is outside the workspace's file, and no answer but a whole page", async () => {
    for (const path of [`/t/${T}/settings/users`, `/t/${T}/reports`, `/t/${T}/contacts/999999999`]) {
      const answer = await owner.get(path);
      expect({ path, tag: answer.headers.get("etag") }).toEqual({ path, tag: null });
    }
  });

  it("in a real browser, a reload revalidates to 304 and the stored page's scripts still run under its own nonce", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      // The browser shows a revalidated page as the stored 200; the server counts what it sent.
      const redirectsSent = async () =>
        sumOf(await (await fetch(`${one.url}/metrics`)).text(), "crm_http_requests_total", {
          method: "GET",
          route: "/t/:tenant/contacts",
          status_class: "3xx",
        });
      const statuses: number[] = [];
      page.on("response", (r) => {
        if (new URL(r.url()).pathname === `/t/${T}/contacts`) statuses.push(r.status());
      });
      // Starting the browser took seconds of this test's minute: the 200 and the reload's 304 within one.
      await clearOfMinuteEdge();
      await page.goto(`${one.url}/t/${T}/login`);
      await page.fill("input[name=email]", `owner@${T}.test`);
      await page.fill("input[name=password]", PASSWORD);
      await Promise.all([page.waitForURL(`**/t/${T}/contacts`), page.click("main button[type=submit]")]);
      const before = await redirectsSent();
      await page.reload();
      await page.waitForFunction(() => "htmx" in window);
      expect(statuses).toEqual([200, 200]);
      expect(await redirectsSent()).toBe(before + 1);
      // htmx runs (its nonce-gated attributes too): search as you type swaps the results in place.
      await page.fill(".filters input[name=q]", "zzzz-nobody");
      await page.waitForFunction(() =>
        document.querySelector("#contacts-results .summary")?.textContent?.includes("0 contacts"),
      );
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
