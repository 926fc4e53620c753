import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createCompany } from "../src/companies/create-company.ts";
import { updateCompany } from "../src/companies/update-company.ts";
import { createContact } from "../src/contacts/create-contact.ts";
import { deleteContact } from "../src/contacts/delete-contact.ts";
import { updateContact } from "../src/contacts/update-contact.ts";
import { createDeal } from "../src/deals/create-deal.ts";
import { moveDeal } from "../src/deals/move-deal.ts";
import { updateDeal } from "../src/deals/update-deal.ts";
import { SYSTEM_ACTOR } from "../src/identity/viewer.ts";
import { defaultPipeline } from "../src/pipelines/pipelines.ts";
import { createTask, setTaskCompleted } from "../src/tasks/tasks.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Lists, counts, the board, search, the task badge, sessions and keys are cached per shard
 * version: whatever another process (here, the test process through the services) writes to
 * the file must show on the very next request. Each test reads a page first, so the server
 * has cached it, then writes, then reads again.
 */
let server: TestServer;
const dir = tempDir();
let data: DataDir;

const write = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);

/** The text of the one element matching `pattern`'s first group; fails if there is not exactly one. */
function only(text: string, pattern: RegExp): string {
  const found = [...text.matchAll(new RegExp(pattern.source, "g"))].map((m) => m[1] as string);
  expect(found).toHaveLength(1);
  return found[0] as string;
}

/** The list's count line, exactly ("1 contact", never a substring of "11 contacts"). */
const summary = (text: string) => only(text, /<p class="summary">([^<]*)<\/p>/);
/** "name · role" as the top bar shows the signed-in user. */
const who = (text: string) => only(text, /<span class="who">([^<]*)<\/span>/);
/** The number on the Tasks link, or null when there is no badge. */
const badge = (text: string) => {
  const found = [...text.matchAll(/<span class="badge" title="due today or overdue">([^<]*)<\/span>/g)];
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.[1] ?? null;
};
/** The ids of the rows of kind `kind` (`<tr id="contact-12">`) on a list page, in order. */
const rowIds = (text: string, kind: string) =>
  [...text.matchAll(new RegExp(`<tr id="${kind}-(\\d+)">`, "g"))].map((m) => Number(m[1]));

/** One board column: its count, sum, forecast and the ids of its cards. */
function boardColumn(text: string, stageId: number) {
  const section = only(
    text,
    new RegExp(`(<section class="column[^"]*" data-stage-id="${stageId}"[\\s\\S]*?</section>)`),
  );
  return {
    count: only(section, /<span class="count" data-count="(\d+)">/),
    sum: only(section, /<span class="sum">([^<]*)<\/span>/),
    forecast: only(section, /forecast ([^<]*)<\/span>/),
    cards: [...section.matchAll(/<article class="card" id="deal-(\d+)"/g)].map((m) => Number(m[1])),
  };
}

/** The hits' links of a search page or dropdown, as "kind/id". */
/** The records a results list links to: the page's links, or the dropdown's options. */
const hits = (text: string, slug: string) =>
  [
    ...text.matchAll(
      new RegExp(
        `<li(?: role="none")?><a (?:[^>]* )?href="/t/${slug}/(contacts|companies|deals)/(\\d+)"`,
        "g",
      ),
    ),
  ].map((m) => `${m[1]}/${m[2]}`);

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("cache-co", "owner@cache.test");
  await data.user("cache-co", "member@cache.test", "member");
  for (const slug of [
    "cache-board",
    "cache-deals",
    "cache-companies",
    "cache-search",
    "cache-tasks",
    "cache-pages",
  ])
    await data.tenant(slug, `owner@${slug}.test`);
  server = await startServer({ dataDir: dir.path });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("never-stale caches", () => {
  it("a list page and its count show a contact another process wrote a moment ago", async () => {
    const client = await signIn(server.url, "cache-co", "owner@cache.test");
    const before = await client.get("/t/cache-co/contacts");
    expect(summary(before.text)).toBe("0 contacts");
    const outsider = await write("cache-co", (shard) =>
      createContact(shard, SYSTEM_ACTOR, { firstName: "Outsider", lastName: "Written", tags: [] }),
    );
    const after = await client.get("/t/cache-co/contacts");
    expect(summary(after.text)).toBe("1 contact");
    expect(rowIds(after.text, "contact")).toEqual([outsider.id]);
    expect(after.text).toContain(">Outsider Written</a>");
  });

  it("a contact's, a company's and a deal's page show what another process wrote a moment ago, and each role its own", async () => {
    const slug = "cache-pages";
    await data.user(slug, "reader@cache-pages.test", "read-only");
    const { contact, company, deal } = await write(slug, (shard) => {
      const company = createCompany(shard, SYSTEM_ACTOR, { name: "Pagecache Holdings", tags: [] });
      const contact = createContact(shard, SYSTEM_ACTOR, {
        firstName: "Paige",
        lastName: "Cached",
        companyId: company.id,
        tags: [],
      });
      const deal = createDeal(shard, SYSTEM_ACTOR, {
        title: "Cached renewal",
        pipelineId: defaultPipeline(shard).id,
        amountCents: 1000,
        currency: "EUR",
        contactIds: [contact.id],
        tags: [],
      });
      return { contact, company, deal };
    });
    const owner = await signIn(server.url, slug, `owner@${slug}.test`);
    const reader = await signIn(server.url, slug, "reader@cache-pages.test");
    const pages = {
      contact: `/t/${slug}/contacts/${contact.id}`,
      company: `/t/${slug}/companies/${company.id}`,
      deal: `/t/${slug}/deals/${deal.id}`,
    };
    // Read twice each: the second answer comes from the cache.
    for (const path of Object.values(pages)) {
      await owner.get(path);
      expect((await owner.get(path)).text).not.toContain("Outside task");
    }
    await write(slug, (shard) => {
      updateContact(shard, SYSTEM_ACTOR, contact.id, { lastName: "Renamed" });
      updateCompany(shard, SYSTEM_ACTOR, company.id, { name: "Pagecache Renamed" });
      for (const [type, id] of [
        ["contact", contact.id],
        ["company", company.id],
        ["deal", deal.id],
      ] as const)
        createTask(shard, SYSTEM_ACTOR, {
          title: `Outside task for ${type}`,
          subjectType: type,
          subjectId: id,
        });
    });
    const contactPage = (await owner.get(pages.contact)).text;
    expect(contactPage).toContain("Paige Renamed");
    expect(contactPage).toContain("Outside task for contact");
    expect(contactPage).toContain("Pagecache Renamed");
    const companyPage = (await owner.get(pages.company)).text;
    expect(companyPage).toContain("Pagecache Renamed");
    expect(companyPage).toContain("Outside task for company");
    expect(companyPage).toContain("Paige Renamed");
    expect((await owner.get(pages.deal)).text).toContain("Outside task for deal");
    // The same pages, cached for the owner, are the reader's own: no edit or delete links.
    for (const path of Object.values(pages)) {
      const mine = (await owner.get(path)).text;
      const theirs = (await reader.get(path)).text;
      expect(mine).toContain(`href="${path}/edit"`);
      expect(theirs).not.toContain(`href="${path}/edit"`);
      expect(who(theirs)).toBe("reader · read-only");
    }
  });

  it("the API list follows writes too", async () => {
    const call = api(server.url, await data.apiKey("cache-co"));
    const first = await call("GET", "/t/cache-co/contacts");
    const second = await write("cache-co", (shard) =>
      createContact(shard, SYSTEM_ACTOR, { firstName: "Second", lastName: "Outsider", tags: [] }),
    );
    const after = await call("GET", "/t/cache-co/contacts");
    expect(after.json.data.length).toBe(first.json.data.length + 1);
    expect(after.json.data.map((c: { id: number }) => c.id)).toContain(second.id);
  });

  it("the board's counts, sums, forecasts and cards follow deals created and moved by another process", async () => {
    const slug = "cache-board";
    const client = await signIn(server.url, slug, `owner@${slug}.test`);
    const sales = await write(slug, defaultPipeline);
    const [lead, qualified] = sales.stages;
    if (!lead || !qualified) throw new Error("Sales starts with Lead and Qualified");
    const board = async () => (await client.get(`/t/${slug}/deals/board`)).text;

    const empty = await board();
    expect(boardColumn(empty, lead.id)).toEqual({ count: "0", sum: "$0", forecast: "$0 (10%)", cards: [] });

    const deal = await write(slug, (s) =>
      createDeal(s, SYSTEM_ACTOR, { title: "Outside deal", amountCents: 200_000, contactIds: [], tags: [] }),
    );
    const created = await board();
    expect(boardColumn(created, lead.id)).toEqual({
      count: "1",
      sum: "$2,000.00",
      forecast: "$200.00 (10%)",
      cards: [deal.id],
    });
    expect(boardColumn(created, qualified.id)).toEqual({
      count: "0",
      sum: "$0",
      forecast: "$0 (25%)",
      cards: [],
    });

    await write(slug, (s) => moveDeal(s, SYSTEM_ACTOR, deal.id, qualified.id));
    const moved = await board();
    expect(boardColumn(moved, lead.id)).toEqual({ count: "0", sum: "$0", forecast: "$0 (10%)", cards: [] });
    expect(boardColumn(moved, qualified.id)).toEqual({
      count: "1",
      sum: "$2,000.00",
      forecast: "$500.00 (25%)",
      cards: [deal.id],
    });
    // The htmx fragment of the board comes from the same cache.
    const fragment = await client.htmx("GET", `/t/${slug}/deals/board`);
    expect(boardColumn(fragment.text, qualified.id).cards).toEqual([deal.id]);
  });

  it("the deals list and its count follow a deal another process created and renamed", async () => {
    const slug = "cache-deals";
    const client = await signIn(server.url, slug, `owner@${slug}.test`);
    const list = async () => (await client.get(`/t/${slug}/deals`)).text;
    expect(summary(await list())).toBe("0 deals");
    const deal = await write(slug, (s) =>
      createDeal(s, SYSTEM_ACTOR, { title: "Listed deal", amountCents: 0, contactIds: [], tags: [] }),
    );
    const after = await list();
    expect(summary(after)).toBe("1 deal");
    expect(rowIds(after, "deal")).toEqual([deal.id]);
    expect(after).toContain(">Listed deal</a>");

    await write(slug, (s) => updateDeal(s, SYSTEM_ACTOR, deal.id, { title: "Renamed deal" }));
    const renamed = await list();
    expect(rowIds(renamed, "deal")).toEqual([deal.id]);
    expect(renamed).toContain(">Renamed deal</a>");
    expect(renamed).not.toContain("Listed deal");
  });

  it("the companies list and its count follow a company another process created and renamed", async () => {
    const slug = "cache-companies";
    const client = await signIn(server.url, slug, `owner@${slug}.test`);
    const list = async () => (await client.get(`/t/${slug}/companies`)).text;
    expect(summary(await list())).toBe("0 companies");
    const company = await write(slug, (s) =>
      createCompany(s, SYSTEM_ACTOR, { name: "Outside Works", tags: [] }),
    );
    const created = await list();
    expect(summary(created)).toBe("1 company");
    expect(rowIds(created, "company")).toEqual([company.id]);
    expect(created).toContain(">Outside Works</a>");

    await write(slug, (s) => updateCompany(s, SYSTEM_ACTOR, company.id, { name: "Renamed Works" }));
    const renamed = await list();
    expect(renamed).toContain(">Renamed Works</a>");
    expect(renamed).not.toContain("Outside Works");
  });

  it("the search page and the search dropdown follow records another process added and deleted", async () => {
    const slug = "cache-search";
    const client = await signIn(server.url, slug, `owner@${slug}.test`);
    const searchPage = async () => (await client.get(`/t/${slug}/search?q=zanzib`)).text;
    const dropdown = async () =>
      (await client.htmx("GET", `/t/${slug}/search?q=zanzib&fragment=dropdown`)).text;
    expect(hits(await searchPage(), slug)).toEqual([]);
    expect(await dropdown()).toBe('<p class="empty">No matches for “zanzib”.</p>');

    const person = await write(slug, (s) =>
      createContact(s, SYSTEM_ACTOR, { firstName: "Zanzibar", lastName: "Quill", tags: [] }),
    );
    const company = await write(slug, (s) =>
      createCompany(s, SYSTEM_ACTOR, { name: "Zanzibar Spice", tags: [] }),
    );
    const expected = [`contacts/${person.id}`, `companies/${company.id}`];
    expect(hits(await searchPage(), slug)).toEqual(expected);
    expect(hits(await dropdown(), slug)).toEqual(expected);

    await write(slug, (s) => deleteContact(s, SYSTEM_ACTOR, person.id));
    expect(hits(await searchPage(), slug)).toEqual([`companies/${company.id}`]);
    expect(hits(await dropdown(), slug)).toEqual([`companies/${company.id}`]);
  });

  it("the search page (20 a kind) and the dropdown (5 a kind), read one after the other with no write between, each show their own number of matches", async () => {
    const slug = "cache-search";
    const people = await write(slug, (s) =>
      Array.from({ length: 8 }, (_, i) =>
        createContact(s, SYSTEM_ACTOR, { firstName: "Yodel", lastName: `Number ${i}`, tags: [] }),
      ),
    );
    expect(people).toHaveLength(8);
    const client = await signIn(server.url, slug, `owner@${slug}.test`);
    const page = async () => hits((await client.get(`/t/${slug}/search?q=yodel`)).text, slug);
    const dropdown = async () =>
      hits((await client.htmx("GET", `/t/${slug}/search?q=yodel&fragment=dropdown`)).text, slug);
    const all = people.map((p) => `contacts/${p.id}`).sort();
    // The eight rank alike, so only which ones and how many are compared, not their order.
    const some = (found: string[]) => ({
      count: found.length,
      distinct: new Set(found).size,
      known: found.every((h) => all.includes(h)),
    });
    expect((await page()).sort()).toEqual(all);
    expect(some(await dropdown())).toEqual({ count: 5, distinct: 5, known: true });
    expect((await page()).sort()).toEqual(all);
    expect(some(await dropdown())).toEqual({ count: 5, distinct: 5, known: true });
  });

  it("the Tasks badge counts tasks another process assigned and completed", async () => {
    const slug = "cache-tasks";
    const client = await signIn(server.url, slug, `owner@${slug}.test`);
    const ownerId = await write(
      slug,
      (s) =>
        (s.statement("SELECT id FROM users WHERE email = ?").get(`owner@${slug}.test`) as { id: number }).id,
    );
    const contacts = async () => (await client.get(`/t/${slug}/contacts`)).text;
    expect(badge(await contacts())).toBeNull();
    // Due long ago: overdue on any day, in any zone.
    const overdue = (title: string) =>
      write(slug, (s) =>
        createTask(s, SYSTEM_ACTOR, { title, dueAt: "2020-01-01T09:00:00Z", assigneeId: ownerId }),
      );
    const first = await overdue("Call back");
    expect(badge(await contacts())).toBe("1");
    await overdue("Send the quote");
    expect(badge(await contacts())).toBe("2");
    await write(slug, (s) => setTaskCompleted(s, SYSTEM_ACTOR, first.id, true));
    expect(badge(await contacts())).toBe("1");
  });

  it("a session ended or demoted by another process stops at once", async () => {
    const member = await signIn(server.url, "cache-co", "member@cache.test");
    expect(who((await member.get("/t/cache-co/contacts")).text)).toBe("member · member");
    await data.shards.use(data.get("cache-co"), (s) =>
      s.statement("UPDATE users SET role = 'read-only' WHERE email = 'member@cache.test'").run(),
    );
    const demoted = await member.get("/t/cache-co/contacts");
    expect(who(demoted.text)).toBe("member · read-only");
    expect((await member.post("/t/cache-co/contacts", { firstName: "Nope" })).status).toBe(403);
    await data.shards.use(data.get("cache-co"), (s) => s.statement("DELETE FROM sessions").run());
    const ended = await member.get("/t/cache-co/contacts");
    expect(ended.status).toBe(303);
    expect(ended.headers.get("location")).toStartWith("/t/cache-co/login");
  });

  it("an API key revoked by another process is refused at once", async () => {
    const key = await data.apiKey("cache-co");
    const call = api(server.url, key);
    expect((await call("GET", "/t/cache-co/contacts")).status).toBe(200);
    await data.shards.use(data.get("cache-co"), (s) =>
      s.statement("UPDATE api_keys SET revoked_at = 1").run(),
    );
    expect((await call("GET", "/t/cache-co/contacts")).status).toBe(401);
  });

  it("a workspace suspended in the catalog by another process is gone at once", async () => {
    await data.tenant("cache-two");
    const call = api(server.url, await data.apiKey("cache-two"));
    expect((await call("GET", "/t/cache-two/contacts")).status).toBe(200);
    data.catalog.setStatus(data.get("cache-two").id, "suspended");
    // The API answers a suspended workspace as it answers a wrong key (README: the rate-limit
    // contract), so nobody learns which workspaces exist.
    expect((await call("GET", "/t/cache-two/contacts")).status).toBe(401);
  });
});
