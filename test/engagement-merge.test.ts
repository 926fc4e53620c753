import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Shard } from "../src/tenancy/shard.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/** Merging two contacts keeps every pushed event and sums their engagement on the survivor. */
const SLUG = "engagement-merge";
const T = `/t/${SLUG}`;
const HOUR = 3_600_000;
const dir = tempDir();
let data: DataDir;
let server: TestServer;
let member: ReturnType<typeof api>;

const useShard = <R>(fn: (shard: Shard) => R) => data.shards.use(data.get(SLUG), fn);
const eventsOf = (id: number) =>
  useShard((s) =>
    s.statement("SELECT id, kind FROM events WHERE contact_id = ? ORDER BY id").all(id),
  ) as Promise<{ id: number; kind: string }[]>;
const engagementOf = (id: number) =>
  useShard((s) =>
    s
      .statement(
        "SELECT kind, count, first_at AS firstAt, last_at AS lastAt, last_payload AS last FROM contact_engagement WHERE contact_id = ? ORDER BY kind",
      )
      .all(id),
  ) as Promise<{ kind: string; count: number; firstAt: number; lastAt: number; last: string }[]>;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  server = await startServer({ dataDir: dir.path });
  member = api(server.url, await data.apiKey(SLUG, "member"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

async function contact(firstName: string, email: string): Promise<number> {
  const created = await member("POST", `${T}/contacts`, { firstName, email });
  expect(created.status).toBe(201);
  return created.json.id;
}

describe("merging two contacts with pushed events", () => {
  it("moves every event to the survivor and sums their engagement (counts, earliest first, latest last with its details)", async () => {
    const survivor = await contact("Ada", "ada@merge.example");
    const duplicate = await contact("Augusta", "augusta@merge.example");
    const bystander = await contact("Grace", "grace@merge.example");
    const now = Date.now();
    const at = (hoursAgo: number) => now - hoursAgo * HOUR;
    const pushed = await member("POST", `${T}/events`, [
      { type: "web.visit", contactId: survivor, occurredAt: at(30), title: "Survivor's visit" },
      { type: "email.opened", contactId: survivor, occurredAt: at(2), campaign: "Survivor's later open" },
      { type: "web.visit", contactId: duplicate, occurredAt: at(40), title: "Duplicate's first visit" },
      { type: "web.visit", contactId: duplicate, occurredAt: at(5), title: "Duplicate's latest visit" },
      { type: "email.opened", contactId: duplicate, occurredAt: at(20), campaign: "Duplicate's open" },
      { type: "form.submitted", contactId: duplicate, occurredAt: at(10), form: "Duplicate's form" },
      { type: "web.visit", contactId: bystander, occurredAt: at(1), title: "Someone else" },
    ]);
    expect(pushed.json).toEqual({ stored: 7, rejected: [] });
    const before = { survivor: await eventsOf(survivor), duplicate: await eventsOf(duplicate) };
    expect(before.duplicate).toHaveLength(4);
    const bystanderBefore = { events: await eventsOf(bystander), engagement: await engagementOf(bystander) };

    const merged = await member("POST", `${T}/contacts/${survivor}/merge`, { duplicateId: duplicate });
    expect(merged.status).toBe(200);
    const iso = (hoursAgo: number) => new Date(at(hoursAgo)).toISOString();
    const expected = [
      { kind: "web.visit", count: 3, firstAt: iso(40), lastAt: iso(5) },
      { kind: "email.opened", count: 2, firstAt: iso(20), lastAt: iso(2) },
      { kind: "form.submitted", count: 1, firstAt: iso(10), lastAt: iso(10) },
    ];
    expect(merged.json.engagement).toEqual(expected);
    expect((await member("GET", `${T}/contacts/${survivor}`)).json).toEqual(merged.json);

    // Every event is the survivor's, none is left under the duplicate's id, the bystander's are as they were.
    const after = await eventsOf(survivor);
    expect(after.map((e) => e.id)).toEqual(
      [...before.survivor, ...before.duplicate].map((e) => e.id).sort((a, b) => a - b),
    );
    expect(await eventsOf(duplicate)).toEqual([]);
    expect(await engagementOf(duplicate)).toEqual([]);
    expect({ events: await eventsOf(bystander), engagement: await engagementOf(bystander) }).toEqual(
      bystanderBefore,
    );
    const last = Object.fromEntries((await engagementOf(survivor)).map((e) => [e.kind, JSON.parse(e.last)]));
    expect(last).toEqual({
      "web.visit": { title: "Duplicate's latest visit" },
      "email.opened": { campaign: "Survivor's later open" },
      "form.submitted": { form: "Duplicate's form" },
    });

    // The survivor's page says the same.
    const owner = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
    owner.setCookie("tz", "UTC");
    const page = await owner.get(`${T}/contacts/${survivor}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<th scope="row">Web visits</th><td class="num">3</td>');
    expect(page.text).toContain("Duplicate&#x27;s latest visit");
    expect(page.text).toContain('<th scope="row">Email opens</th><td class="num">2</td>');
    expect(page.text).toContain("Campaign: Survivor&#x27;s later open");
    expect(page.text).toContain('<th scope="row">Form submissions</th><td class="num">1</td>');
    expect((await owner.get(`${T}/contacts/${duplicate}`)).status).toBe(404);
  }, 60_000);

  it("a refused merge (a contact with itself) moves no event and changes no engagement", async () => {
    const ada = await contact("Solo", "solo@merge.example");
    const pushed = await member("POST", `${T}/events`, [
      { type: "web.visit", contactId: ada, title: "Solo" },
    ]);
    expect(pushed.json).toEqual({ stored: 1, rejected: [] });
    const before = { events: await eventsOf(ada), engagement: await engagementOf(ada) };
    expect(before.engagement).toHaveLength(1);
    const refused = await member("POST", `${T}/contacts/${ada}/merge`, { duplicateId: ada });
    expect(refused.status).toBe(422);
    expect({ events: await eventsOf(ada), engagement: await engagementOf(ada) }).toEqual(before);
  }, 60_000);
});
