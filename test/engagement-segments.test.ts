import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { EVENT_KINDS } from "../src/interactions/kinds.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { type ClockedServer, startClockedServer, TestClock } from "./support/clocked-server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Segment rules on pushed events (`engagement`: web visits, email opens and clicks, form
 * submissions), end to end: events pushed through the real events API, segments saved and
 * counted by the real server in real worker threads, each operator's members compared with
 * a count written here by hand over the events table itself (not the engagement summary the
 * rules read).
 */

const HOME = "eng-home";
const OTHER = "eng-other";
const ANCHOR = Date.UTC(2026, 2, 20);
const NOW = ANCHOR + 12 * 3_600_000;
const DAY = 86_400_000;

const dir = tempDir("crm-engagement-segments-");
const clock = new TestClock(NOW);
let data: DataDir;
let server: ClockedServer;
let member: ReturnType<typeof api>;
let other: ReturnType<typeof api>;
let page: BrowserClient;
/** People whose only web visit is exactly N days before the server's clock, by N. */
const boundary = new Map<number, number>();

type Value = string | number;
// biome-ignore lint/suspicious/noExplicitAny: SQL rows are read field by field
type Row = Record<string, any>;

const sqlIn = (slug: string, query: string, ...params: Value[]) =>
  data.shards.use(data.get(slug), (s: Shard) => s.statement(query).all(...params) as Row[]);
const sql = (query: string, ...params: Value[]) => sqlIn(HOME, query, ...params);

/** mulberry32: the same events on every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function push(call: ReturnType<typeof api>, slug: string, events: unknown[]) {
  const answer = await call("POST", `/t/${slug}/events`, events);
  expect(`${answer.status} ${answer.text.slice(0, 300)}`).toStartWith("200");
  return answer.json as { stored: number; rejected: Row[] };
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant(OTHER);
  await data.user(HOME, "mia@eng.test", "member");
  await data.shards.use(data.get(HOME), (s: Shard) =>
    seedTenant(s, { contacts: 300, seed: 11, anchorMs: ANCHOR }),
  );
  await data.shards.use(data.get(OTHER), (s: Shard) =>
    seedTenant(s, { contacts: 60, seed: 12, anchorMs: ANCHOR }),
  );
  server = startClockedServer(dir.path, clock);
  member = api(server.url, await data.apiKey(HOME, "member"));
  other = api(server.url, await data.apiKey(OTHER, "member"));

  // About two thirds of the people get events of random kinds, ages (up to 400 days) and numbers.
  const rng = random(4242);
  const ids = (await sql("SELECT id FROM contacts ORDER BY id")).map((r) => r.id as number);
  const events: unknown[] = [];
  const quiet: number[] = [];
  for (const id of ids) {
    if (rng() < 0.3) {
      quiet.push(id);
      continue;
    }
    const n = 1 + Math.floor(rng() * 8);
    for (let i = 0; i < n; i++) {
      const kind = EVENT_KINDS[Math.floor(rng() * (rng() < 0.5 ? 2 : 4))] as string;
      const age = Math.floor(rng() * 400 * DAY);
      events.push({ type: kind, contactId: id, occurredAt: NOW - age, url: "https://shop.example/p" });
    }
  }
  // A web visit exactly N days old, for a few N: "the last N days" includes its first instant.
  expect(quiet.length).toBeGreaterThan(20);
  for (const [i, days] of [7, 30, 90].entries()) {
    const id = quiet[i] as number;
    boundary.set(days, id);
    events.push({ type: "web.visit", contactId: id, occurredAt: NOW - days * DAY });
  }
  // Several batches, as an integration sends them.
  for (let i = 0; i < events.length; i += 500) {
    const answer = await push(member, HOME, events.slice(i, i + 500));
    expect(answer.rejected).toEqual([]);
  }
  expect((await sql("SELECT count(*) AS n FROM events"))[0]?.n).toBe(events.length);

  // The other workspace: every one of its people visited today, clicked and submitted a form many times.
  const theirs = (await sqlIn(OTHER, "SELECT id FROM contacts ORDER BY id")).map((r) => r.id as number);
  const mass = theirs.flatMap((id) =>
    EVENT_KINDS.flatMap((type) =>
      Array.from({ length: 5 }, (_, i) => ({ type, contactId: id, occurredAt: NOW - i * 60_000 })),
    ),
  );
  expect((await push(other, OTHER, mass)).stored).toBe(mass.length);
  page = await signIn(server.url, HOME, "mia@eng.test");
});

afterAll(async () => {
  await server.stop();
  await server.deps.pool.close();
  data.close();
  dir.remove();
});

/** The people matching, by hand over the events table: ids, newest first as the members list orders them. */
async function expected(kind: string, op: string, n?: number): Promise<number[]> {
  const has = (condition: string) =>
    `EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.id AND e.kind = ? ${condition})`;
  const where: Record<string, [string, Value[]]> = {
    in_last_days: [has("AND e.occurred_at >= ?"), [kind, NOW - (n ?? 0) * DAY]],
    none_in_last_days: [`NOT ${has("AND e.occurred_at >= ?")}`, [kind, NOW - (n ?? 0) * DAY]],
    never: [`NOT ${has("")}`, [kind]],
    at_least: [
      "(SELECT count(*) FROM events e WHERE e.contact_id = c.id AND e.kind = ?) >= ?",
      [kind, n ?? 0],
    ],
  };
  const [condition, params] = where[op] as [string, Value[]];
  return (
    await sql(
      `SELECT c.id FROM contacts c WHERE ${condition} ORDER BY c.created_at DESC, c.id DESC`,
      ...params,
    )
  ).map((r) => r.id as number);
}

async function allMembers(call: ReturnType<typeof api>, slug: string, id: number) {
  const ids: number[] = [];
  let cursor = "";
  let total = -1;
  for (let pages = 0; pages < 20; pages++) {
    const got = await call("GET", `/t/${slug}/segments/${id}/members?limit=200${cursor}`);
    expect(`${got.status} ${got.status === 200 ? "" : got.text}`).toBe("200 ");
    total = got.json.total;
    ids.push(...got.json.data.map((r: Row) => r.id as number));
    if (!got.json.nextCursor) return { total, ids };
    cursor = `&cursor=${encodeURIComponent(got.json.nextCursor)}`;
  }
  throw new Error("more than 20 pages of members");
}

describe("engagement rules over the API", () => {
  it("hold exactly the people the events say, for every kind and operator", async () => {
    const cases: [string, string, number?][] = [];
    for (const kind of EVENT_KINDS) {
      for (const days of [1, 7, 30, 90, 365]) {
        cases.push([kind, "in_last_days", days], [kind, "none_in_last_days", days]);
      }
      cases.push([kind, "never"]);
      for (const times of [1, 2, 3, 5]) cases.push([kind, "at_least", times]);
    }
    const sizes = new Set<number>();
    const all = (await sql("SELECT count(*) AS n FROM contacts"))[0]?.n as number;
    for (const [kind, op, n] of cases) {
      const rule =
        n === undefined ? { field: "engagement", kind, op } : { field: "engagement", kind, op, value: n };
      const created = await member("POST", `/t/${HOME}/segments`, {
        name: `${kind} ${op} ${n}`,
        rules: [rule],
      });
      expect(`${created.status} ${created.text.slice(0, 300)}`).toStartWith("201");
      expect(created.json.rules).toEqual([rule]);
      const want = await expected(kind, op, n);
      const got = await allMembers(member, HOME, created.json.id);
      const label = JSON.stringify(rule);
      expect(`${label} → ${got.total}`).toBe(`${label} → ${want.length}`);
      expect(got.ids).toEqual(want);
      sizes.add(want.length);
      expect((await member("DELETE", `/t/${HOME}/segments/${created.json.id}`)).status).toBe(204);
    }
    // Not degenerate: many sizes, none of them everyone or no one only.
    expect(sizes.size).toBeGreaterThan(30);
    expect([...sizes].some((s) => s > 0 && s < all)).toBe(true);
  }, 120_000);

  it("counts an event exactly N days old as within the last N days", async () => {
    expect(boundary.size).toBe(3);
    for (const [days, id] of boundary) {
      for (const [op, inside] of [
        ["in_last_days", true],
        ["none_in_last_days", false],
      ] as const) {
        for (const [n, within] of [
          [days, inside],
          [days - 1, !inside],
        ] as const) {
          const created = await member("POST", `/t/${HOME}/segments`, {
            name: `boundary ${days} ${op} ${n}`,
            rules: [{ field: "engagement", kind: "web.visit", op, value: n }],
          });
          expect(created.status).toBe(201);
          const got = await allMembers(member, HOME, created.json.id);
          expect(`${op} ${n}: ${got.ids.includes(id)}`).toBe(`${op} ${n}: ${within}`);
        }
      }
    }
  });

  it("combines with other rules and groups", async () => {
    const rules = [
      { field: "engagement", kind: "email.opened", op: "in_last_days", value: 60 },
      {
        match: "any",
        rules: [
          { field: "engagement", kind: "web.visit", op: "never" },
          { field: "engagement", kind: "email.clicked", op: "at_least", value: 2 },
        ],
      },
    ];
    const created = await member("POST", `/t/${HOME}/segments`, { name: "Mixed", match: "all", rules });
    expect(created.status).toBe(201);
    const opened = new Set(await expected("email.opened", "in_last_days", 60));
    const noVisit = new Set(await expected("web.visit", "never"));
    const clicked = new Set(await expected("email.clicked", "at_least", 2));
    const want = (await sql("SELECT id FROM contacts ORDER BY created_at DESC, id DESC"))
      .map((r) => r.id as number)
      .filter((id) => opened.has(id) && (noVisit.has(id) || clicked.has(id)));
    expect(want.length).toBeGreaterThan(0);
    expect((await allMembers(member, HOME, created.json.id)).ids).toEqual(want);
  });

  it("refuses a bad kind, N out of range or not whole: 422 naming the rule, nothing written", async () => {
    const before = (await sql("SELECT count(*) AS n FROM segments"))[0]?.n as number;
    const cases: [unknown, string][] = [
      [{ field: "engagement", op: "in_last_days", value: 7 }, "rules.0.kind"],
      [{ field: "engagement", kind: "web.visits", op: "in_last_days", value: 7 }, "rules.0.kind"],
      [{ field: "engagement", kind: "call", op: "never" }, "rules.0.kind"],
      [{ field: "engagement", kind: 3, op: "never" }, "rules.0.kind"],
      [{ field: "engagement", kind: "web.visit", op: "in_last_days", value: 0 }, "rules.0.value"],
      [{ field: "engagement", kind: "web.visit", op: "in_last_days", value: 3651 }, "rules.0.value"],
      [{ field: "engagement", kind: "web.visit", op: "none_in_last_days", value: 2.5 }, "rules.0.value"],
      [{ field: "engagement", kind: "web.visit", op: "in_last_days", value: "7" }, "rules.0.value"],
      [{ field: "engagement", kind: "web.visit", op: "in_last_days" }, "rules.0.value"],
      [{ field: "engagement", kind: "email.clicked", op: "at_least", value: 0 }, "rules.0.value"],
      [{ field: "engagement", kind: "email.clicked", op: "at_least", value: 1.5 }, "rules.0.value"],
      [{ field: "engagement", kind: "email.clicked", op: "at_least", value: 1_000_001 }, "rules.0.value"],
      [{ field: "engagement", kind: "email.clicked", op: "equals", value: 3 }, "rules.0.op"],
      [{ field: "lastInteraction", op: "never" }, "rules.0.op"],
    ];
    for (const [rule, field] of cases) {
      const label = JSON.stringify(rule);
      const refused = await member("POST", `/t/${HOME}/segments`, {
        name: "Bad",
        rules: [{ field: "firstName", op: "is_not_empty" }, rule],
      });
      expect(`${label} ${refused.status}`).toBe(`${label} 422`);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect(`${label} ${refused.json.errors.map((e: Row) => e.field)}`).toBe(
        `${label} ${field.replace("rules.0", "rules.1")}`,
      );
    }
    const kept = await member("POST", `/t/${HOME}/segments`, {
      name: "Kept",
      rules: [{ field: "engagement", kind: "form.submitted", op: "never" }],
    });
    expect(kept.status).toBe(201);
    const patched = await member("PATCH", `/t/${HOME}/segments/${kept.json.id}`, {
      name: "Changed",
      rules: [{ field: "engagement", kind: "form.sent", op: "never" }],
    });
    expect(patched.status).toBe(422);
    expect(patched.json.errors.map((e: Row) => e.field)).toEqual(["rules.0.kind"]);
    expect((await member("GET", `/t/${HOME}/segments/${kept.json.id}`)).json).toMatchObject({
      name: "Kept",
      rules: [{ field: "engagement", kind: "form.submitted", op: "never" }],
    });
    expect((await sql("SELECT count(*) AS n FROM segments"))[0]?.n).toBe(before + 1);
  });

  it("never matches another workspace's events", async () => {
    // Everyone in the other workspace visited today and clicked 5 times; that counts only there.
    const theirs = (await sqlIn(OTHER, "SELECT count(*) AS n FROM contacts"))[0]?.n as number;
    const rule = { field: "engagement", kind: "email.clicked", op: "at_least", value: 5 };
    const there = await other("POST", `/t/${OTHER}/segments`, { name: "Clickers", rules: [rule] });
    expect(there.status).toBe(201);
    expect((await allMembers(other, OTHER, there.json.id)).total).toBe(theirs);
    const here = await member("POST", `/t/${HOME}/segments`, { name: "Clickers", rules: [rule] });
    const got = await allMembers(member, HOME, here.json.id);
    expect(got.ids).toEqual(await expected("email.clicked", "at_least", 5));
    expect(got.ids.length).toBeLessThan(theirs);
    const homeIds = new Set((await sql("SELECT id FROM contacts")).map((r) => r.id as number));
    expect(got.ids.every((id) => homeIds.has(id))).toBe(true);
    // Their segment is theirs: a 404 here, and an event about their contact is refused here.
    expect((await member("GET", `/t/${HOME}/segments/${there.json.id}/members`)).status).toBe(404);
    const stranger = (await sqlIn(OTHER, "SELECT id FROM contacts ORDER BY id LIMIT 1"))[0]?.id as number;
    expect(homeIds.has(stranger)).toBe(false);
    const pushed = await push(member, HOME, [{ type: "web.visit", contactId: stranger }]);
    expect(pushed.stored).toBe(0);
    expect(pushed.rejected.length).toBe(1);
  });
});

describe("engagement rules on the pages", () => {
  const form = (html: string) => {
    const found = page.forms(html).find((f) => f.attributes.id === "segment-form");
    if (!found) throw new Error("no segment form on the page");
    return found;
  };
  const countOf = (html: string) =>
    Number(/id="segment-count" data-count="(\d+)"/.exec(html)?.[1] ?? Number.NaN);

  it("builds one without JavaScript: choose the field, the events, the condition and N; preview; save; read it in words", async () => {
    const blank = await page.get(`/t/${HOME}/segments/new`);
    expect(blank.status).toBe(200);
    const chosen = await page.submit(form(blank.text), {
      fill: { name: "Recent visitors", "rules.0.field": "engagement" },
      submitter: "Preview",
    });
    expect(chosen.status).toBe(200);
    // The kinds in words, and the engagement conditions.
    for (const words of ["Web visits", "Email opens", "Email clicks", "Form submissions"])
      expect(chosen.text).toContain(`>${words}</option>`);
    expect(chosen.text).toContain('name="rules.0.kind"');
    expect(chosen.text).toContain('<option value="never">never</option>');
    const filled = await page.submit(form(chosen.text), {
      fill: { "rules.0.kind": "web.visit", "rules.0.op": "in_last_days", "rules.0.value": "7" },
      submitter: "Preview",
    });
    const want = await expected("web.visit", "in_last_days", 7);
    expect(want.length).toBeGreaterThan(0);
    expect(countOf(filled.text)).toBe(want.length);
    const saved = await page.submit(form(filled.text), { submitter: "Save segment" });
    expect(saved.status).toBe(303);
    const href = saved.headers.get("location") as string;
    const shown = await page.get(href);
    expect(shown.text).toContain("at least one web visit in the last 7 days");
    expect(shown.text).toContain(`${want.length} ${want.length === 1 ? "contact" : "contacts"}`);
    // The edit form shows it back as saved.
    const edit = await page.get(`${href}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('<option value="web.visit" selected>Web visits</option>');
    expect(edit.text).toContain('<option value="in_last_days" selected>');
  });

  it("says each operator in words, not as an interaction", async () => {
    const words: [unknown, string][] = [
      [
        { field: "engagement", kind: "email.opened", op: "in_last_days", value: 30 },
        "at least one email open in the last 30 days",
      ],
      [
        { field: "engagement", kind: "web.visit", op: "in_last_days", value: 1 },
        "at least one web visit in the last 1 day<",
      ],
      [
        { field: "engagement", kind: "email.clicked", op: "none_in_last_days", value: 14 },
        "no email click in the last 14 days (or never)",
      ],
      [{ field: "engagement", kind: "form.submitted", op: "never" }, "no form submissions ever"],
      [{ field: "engagement", kind: "email.clicked", op: "at_least", value: 3 }, "at least 3 email clicks"],
      [{ field: "engagement", kind: "email.clicked", op: "at_least", value: 1 }, "at least 1 email click<"],
    ];
    for (const [rule, text] of words) {
      const created = await member("POST", `/t/${HOME}/segments`, { name: "Words", rules: [rule] });
      expect(created.status).toBe(201);
      const shown = await page.get(`/t/${HOME}/segments/${created.json.id}`);
      expect(shown.text).toContain(text);
      expect(shown.text).not.toContain("interaction in the last");
    }
  });

  it("shows a bad kind or N inline at its rule with 422, and saves nothing", async () => {
    const before = (await sql("SELECT count(*) AS n FROM segments"))[0]?.n as number;
    const base = { name: "Bad", match: "all", "rules.0.field": "engagement", intent: "save" };
    const noKind = await page.post(`/t/${HOME}/segments`, {
      ...base,
      "rules.0.op": "never",
      "rules.0.kind": "",
    });
    expect(noKind.status).toBe(422);
    expect(noKind.text).toContain("Rule 1, events: choose which events");
    const badKind = await page.post(`/t/${HOME}/segments`, {
      ...base,
      "rules.0.kind": "web.visits",
      "rules.0.op": "never",
    });
    expect(badKind.status).toBe(422);
    expect(badKind.text).toContain("Rule 1, events: must be one of");
    expect(badKind.text).toContain('aria-invalid="true"');
    const badDays = await page.post(`/t/${HOME}/segments`, {
      ...base,
      "rules.0.kind": "web.visit",
      "rules.0.op": "in_last_days",
      "rules.0.value": "4000",
    });
    expect(badDays.status).toBe(422);
    expect(badDays.text).toMatch(/Rule 1, value: must be at most 3650/);
    const badTimes = await page.post(`/t/${HOME}/segments`, {
      ...base,
      "rules.0.kind": "web.visit",
      "rules.0.op": "at_least",
      "rules.0.value": "2.5",
    });
    expect(badTimes.status).toBe(422);
    expect(badTimes.text).toMatch(/Rule 1, value: must be a whole number of times/);
    expect((await sql("SELECT count(*) AS n FROM segments"))[0]?.n).toBe(before);
  });

  it("updates the live count for an engagement rule (htmx)", async () => {
    const preview = await page.htmx("POST", `/t/${HOME}/segments/preview`, {
      match: "all",
      "rules.0.field": "engagement",
      "rules.0.kind": "email.opened",
      "rules.0.op": "at_least",
      "rules.0.value": "2",
    });
    expect(preview.status).toBe(200);
    expect(countOf(preview.text)).toBe((await expected("email.opened", "at_least", 2)).length);
  });
});
