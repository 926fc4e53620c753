import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;
let call: ReturnType<typeof api>;
let person: { id: number };

type Kind = "contact" | "company" | "deal" | "note";
const KINDS: Kind[] = ["contact", "company", "deal", "note"];
const LABELS: Record<Kind, string> = {
  contact: "People",
  company: "Companies",
  deal: "Deals",
  note: "Notes",
};

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("find-co", "owner@find.test");
  server = await startServer({ dataDir: dir.path });
  owner = await signIn(server.url, "find-co", "owner@find.test");
  call = api(server.url, await data.apiKey("find-co"));
  person = await create("contact", { firstName: "Noah", lastName: "Notes" });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

/** Creates one record of `kind` through the API and returns it. */
async function create(kind: Kind, fields: Record<string, unknown>): Promise<{ id: number }> {
  const path = { contact: "contacts", company: "companies", deal: "deals", note: "notes" }[kind];
  const body = kind === "note" ? { subjectType: "contact", subjectId: person.id, ...fields } : fields;
  const response = await call("POST", `/t/find-co/${path}`, body);
  expect(response.status).toBe(201);
  return response.json;
}

/** The ids the API answers for `q`, per kind, best first. */
async function idsFor(q: string, limit = 50): Promise<Record<Kind, number[]>> {
  const response = await call("GET", `/t/find-co/search?q=${encodeURIComponent(q)}&limit=${limit}`);
  expect(response.status).toBe(200);
  const ids = {} as Record<Kind, number[]>;
  for (const kind of KINDS) ids[kind] = response.json[kind].map((hit: { id: number }) => hit.id);
  return ids;
}

/** How many hits each group of a results list (the dropdown or the page) shows; 0 for a group not shown. */
function shownPerKind(html: string): Record<Kind, number> {
  const counts = {} as Record<Kind, number>;
  for (const kind of KINDS) {
    // The page's groups are sections of links; the dropdown's, groups of a listbox's options.
    const group = new RegExp(
      `<(?:section|div) class="hits"[^>]*><h[23][^>]*>${LABELS[kind]}</h[23]><ul[^>]*>(.*?)</ul>`,
      "s",
    ).exec(html);
    counts[kind] = group ? (group[1]?.match(/<li[ >]/g) ?? []).length : 0;
  }
  return counts;
}

describe("search", () => {
  it("ranks several hits of each kind by bm25: more mentions first, then shorter text, whatever the order they were written in", async () => {
    // Written middling, worst, best: neither the order of writing nor its reverse is the ranking.
    // Best and middling are as long as each other (the best mentions the word twice); middling
    // and worst mention it once each (the worst in longer text).
    const middling = {
      contact: await create("contact", { firstName: "Ranko", lastName: "Petrov" }),
      company: await create("company", { name: "Ranko Office Partners" }),
      deal: await create("deal", { title: "Ranko office renewal" }),
      note: await create("note", { body: "Ranko Petrov called back" }),
    };
    const worst = {
      contact: await create("contact", {
        firstName: "Ranko",
        lastName: "Petrov",
        title: "Head of regional sales operations",
      }),
      company: await create("company", {
        name: "Ranko Office Partners",
        city: "Port Elizabeth",
        country: "South Africa",
      }),
      deal: await create("deal", { title: "Ranko office renewal for the northern regional branches" }),
      note: await create("note", { body: "Ranko Petrov called back about the northern regional branches" }),
    };
    const best = {
      contact: await create("contact", { firstName: "Ranko", lastName: "Rankovic" }),
      company: await create("company", { name: "Ranko Rankovic Partners" }),
      deal: await create("deal", { title: "Ranko Rankovic renewal" }),
      note: await create("note", { body: "Ranko Rankovic called back" }),
    };
    const ranked = await idsFor("ranko");
    for (const kind of KINDS) {
      expect([kind, ranked[kind]]).toEqual([kind, [best[kind].id, middling[kind].id, worst[kind].id]]);
    }
    const page = await owner.get("/t/find-co/search?q=ranko");
    const people = /<h2>People<\/h2><ul>(.*?)<\/ul>/s.exec(page.text)?.[1] ?? "";
    expect([...people.matchAll(/href="\/t\/find-co\/contacts\/(\d+)"/g)].map((m) => Number(m[1]))).toEqual([
      best.contact.id,
      middling.contact.id,
      worst.contact.id,
    ]);
  });

  it("ignores accents, both in what was written and in what is typed", async () => {
    const accented = await create("contact", { firstName: "Zoë", lastName: "Müller" });
    const plain = await create("contact", { firstName: "Zoe", lastName: "Muller" });
    const cafe = await create("company", { name: "Café Crème" });
    const deal = await create("deal", { title: "Señor Jalapeño catering" });
    const note = await create("note", { body: "Grüße aus Köln" });
    const both = [accented.id, plain.id].sort((a, b) => a - b);
    // "Zoe" + a combining diaeresis: the same name as typed on some keyboards.
    for (const q of ["zoe muller", "Zoë Müller", "ZOË MÜLL", "Zoe\u0308 Mu\u0308ller"]) {
      expect([q, (await idsFor(q)).contact.sort((a, b) => a - b)]).toEqual([q, both]);
    }
    expect((await idsFor("cafe creme")).company).toEqual([cafe.id]);
    expect((await idsFor("senor jalapeno")).deal).toEqual([deal.id]);
    expect((await idsFor("KOLN gru")).note).toEqual([note.id]);
    const dropdown = await owner.htmx("GET", "/t/find-co/search?fragment=dropdown&q=zoe+muller");
    expect(dropdown.text).toContain(`href="/t/find-co/contacts/${accented.id}">Zoë Müller</a>`);
    expect(dropdown.text).toContain(`href="/t/find-co/contacts/${plain.id}">Zoe Muller</a>`);
  });

  it("shows the best 5 of each kind in the dropdown and 20 on the search page", async () => {
    for (let i = 1; i <= 25; i++) {
      await create("contact", { firstName: "Plentiful", lastName: `Person ${i}` });
      await create("company", { name: `Plentiful Company ${i}` });
      await create("deal", { title: `Plentiful deal ${i}` });
      await create("note", { body: `Plentiful note ${i}` });
    }
    const everything = await idsFor("plentiful");
    for (const kind of KINDS) expect([kind, everything[kind].length]).toEqual([kind, 25]);

    const dropdown = await owner.htmx("GET", "/t/find-co/search?fragment=dropdown&q=plentiful");
    expect(dropdown.status).toBe(200);
    expect(dropdown.text).not.toContain("<html");
    expect(shownPerKind(dropdown.text)).toEqual({ contact: 5, company: 5, deal: 5, note: 5 });
    const page = await owner.get("/t/find-co/search?q=plentiful");
    expect(page.status).toBe(200);
    expect(shownPerKind(page.text)).toEqual({ contact: 20, company: 20, deal: 20, note: 20 });
  });

  it("finds nothing for fewer than two letters or digits, and finds at two", async () => {
    const xu = await create("contact", { firstName: "Al", lastName: "Xu" });
    const order = await create("deal", { title: "Order 42 renewal" });
    expect((await idsFor("xu")).contact).toEqual([xu.id]);
    expect((await idsFor("42")).deal).toEqual([order.id]);
    const nothing = { contact: [], company: [], deal: [], note: [] };
    for (const q of ["x", "X*", " x ", "(x)", "x-", "4", "4.", '"4"']) {
      expect([q, await idsFor(q)]).toEqual([q, nothing]);
      const page = await owner.get(`/t/find-co/search?q=${encodeURIComponent(q)}`);
      expect([q, shownPerKind(page.text)]).toEqual([q, { contact: 0, company: 0, deal: 0, note: 0 }]);
      expect(page.text).toContain("No matches for");
    }
    const dropdown = await owner.htmx("GET", "/t/find-co/search?fragment=dropdown&q=x");
    expect(dropdown.text).toContain("No matches for “x”.");
  });
});
