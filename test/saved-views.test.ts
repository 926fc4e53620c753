import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let member: BrowserClient;
let viewer: BrowserClient;
let call: ReturnType<typeof api>;

const T = "/t/views-co";

/** The names of the contacts a list page shows, in order. */
const names = (page: string) =>
  [...page.matchAll(/<tr id="contact-\d+">(?:<td><input [\s\S]*?<\/td>)?<td><a [^>]+>([^<]+)<\/a>/g)].map(
    (m) => m[1]?.trim(),
  );

/** The saved views a list page offers: name → link. */
const views = (page: string) =>
  Object.fromEntries(
    [
      ...(page.match(/<nav class="saved-views"[\s\S]*?<\/nav>/)?.[0] ?? "").matchAll(
        /<a href="([^"]+)"[^>]*>([^<]+)<\/a>/g,
      ),
    ].map((m) => [m[2], m[1]?.replaceAll("&amp;", "&")]),
  );

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("views-co", "owner@views.test");
  await data.user("views-co", "member@views.test", "member");
  await data.user("views-co", "viewer@views.test", "read-only");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "views-co", "owner@views.test");
  member = await signIn(server.url, "views-co", "member@views.test");
  viewer = await signIn(server.url, "views-co", "viewer@views.test");
  call = api(server.url, await data.apiKey("views-co"));
  for (const [firstName, lastName, tags] of [
    ["Zoe", "Adams", ["vip"]],
    ["Adam", "Zimmer", ["vip"]],
    ["Mia", "Moss", []],
  ] as const) {
    expect((await call("POST", `${T}/contacts`, { firstName, lastName, tags })).status).toBe(201);
  }
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("saved views", () => {
  it("save filters, sort and columns, and open the list as it was", async () => {
    await owner.get(`${T}/contacts?tag=vip&sort=name&order=desc&cols=name,email,tags`);
    const saved = await owner.post(`${T}/views`, {
      list: "contacts",
      name: "VIPs Z→A",
      query: "tag=vip&sort=name&order=desc&cols=name%2Cemail%2Ctags",
    });
    expect(saved.status).toBe(303);
    const href = saved.headers.get("location") as string;
    expect(href).toBe(`${T}/contacts?tag=vip&sort=name&order=desc&cols=name%2Cemail%2Ctags`);
    const page = await owner.get(href);
    expect(page.status).toBe(200);
    expect(names(page.text)).toEqual(["Adam Zimmer", "Zoe Adams"]);
    expect(page.text).toContain('aria-current="page">VIPs Z→A</a>');
    // Only the chosen columns show: the others are hidden by the page's nonce'd style.
    const style = page.text.match(/<style nonce="[^"]+">([^<]+)<\/style>/)?.[1] ?? "";
    expect(style).toContain("td:nth-child(4)"); // phone
    expect(style).not.toContain("td:nth-child(3)"); // email
    expect(style).not.toContain("td:nth-child(7)"); // tags
    // The style runs only if its nonce is the one its own response's policy allows for styles,
    // and each response has a fresh one (the second is served from the render cache).
    const again = await owner.get(href);
    const styleNonces = [page, again].map((response) => {
      const styleSrc = (response.headers.get("content-security-policy") ?? "")
        .split(";")
        .map((d) => d.trim())
        .find((d) => d.startsWith("style-src "));
      const allowed = /^style-src 'self' 'nonce-([A-Za-z0-9+/_-]{16,}={0,2})'$/.exec(styleSrc ?? "")?.[1];
      expect([...response.text.matchAll(/<style\b([^>]*)>/g)].map((m) => m[1])).toEqual([
        ` nonce="${allowed}"`,
      ]);
      return allowed;
    });
    expect(new Set(styleNonces).size).toBe(2);
  });

  it("are personal unless shared: a colleague sees only shared ones, and cannot delete them", async () => {
    await owner.get(`${T}/contacts`);
    await owner.post(`${T}/views`, { list: "contacts", name: "Team VIPs", query: "tag=vip", shared: "on" });
    const theirs = await member.get(`${T}/contacts`);
    expect(Object.keys(views(theirs.text))).toEqual(["All", "Team VIPs"]);
    expect(theirs.text).toContain("<small>(Owner)</small>");
    const id = Number(theirs.text.match(/action="[^"]+\/views\/(\d+)\/delete"/)?.[1] ?? 0);
    expect(id).toBe(0); // no delete button on someone else's view for a member
    const ownPage = await owner.get(`${T}/contacts`);
    const sharedId = Number(
      [
        ...ownPage.text.matchAll(/action="[^"]+\/views\/(\d+)\/delete"[\s\S]*?Delete the view ([^"]+)"/g),
      ].find((m) => m[2] === "Team VIPs")?.[1],
    );
    const refused = await member.post(`${T}/views/${sharedId}/delete`, {});
    expect(refused.status).toBe(403);
    const privateId = Number(
      [
        ...ownPage.text.matchAll(/action="[^"]+\/views\/(\d+)\/delete"[\s\S]*?Delete the view ([^"]+)"/g),
      ].find((m) => m[2] === "VIPs Z→A")?.[1],
    );
    expect((await member.post(`${T}/views/${privateId}/delete`, {})).status).toBe(404);
    expect(Object.keys(views((await owner.get(`${T}/contacts`)).text))).toContain("VIPs Z→A");
  });

  it("let read-only users keep views of their own, but not share them", async () => {
    await viewer.get(`${T}/contacts`);
    const saved = await viewer.post(`${T}/views`, {
      list: "contacts",
      name: "Mine",
      query: "sort=name",
      shared: "on",
    });
    expect(saved.status).toBe(303);
    expect(Object.keys(views((await viewer.get(`${T}/contacts`)).text))).toContain("Mine");
    expect(Object.keys(views((await member.get(`${T}/contacts`)).text))).not.toContain("Mine");
  });

  it("refuse a query outside the list's allow-list, and a nameless view, saving nothing", async () => {
    const count = () =>
      data.shards.use(data.get("views-co"), (s) =>
        s.statement("SELECT count(*) AS n FROM saved_views").get(),
      );
    const before = await count();
    await owner.get(`${T}/contacts`);
    const bad = await owner.post(`${T}/views`, { list: "contacts", name: "Bad", query: "sort=password" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Nothing was changed");
    const unknown = await owner.post(`${T}/views`, { list: "contacts", name: "Bad", query: "owner_id=1" });
    expect(unknown.status).toBe(400);
    const nameless = await owner.post(`${T}/views`, { list: "contacts", name: " ", query: "" });
    expect(nameless.status).toBe(422);
    const wrongList = await owner.post(`${T}/views`, { list: "users", name: "X", query: "" });
    expect(wrongList.status).toBe(422);
    const xss = await owner.post(`${T}/views`, {
      list: "contacts",
      name: "<script>alert(1)</script>",
      query: "q=a",
    });
    expect(xss.status).toBe(303);
    const page = await owner.get(`${T}/contacts`);
    expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect((await count()) as { n: number }).toEqual({ n: (before as { n: number }).n + 1 });
  });

  it("work for deals and companies too, with a column chooser on each list", async () => {
    for (const list of ["deals", "companies"]) {
      const page = await owner.get(`${T}/${list}`);
      expect(page.text).toContain('<details class="filter columns">');
      await owner.post(`${T}/views`, { list, name: `My ${list}`, query: "sort=name&cols=name" });
      const saved = await owner.get(`${T}/${list}`);
      expect(views(saved.text)[`My ${list}`]).toBe(`${T}/${list}?sort=name&cols=name`);
    }
  });
});
