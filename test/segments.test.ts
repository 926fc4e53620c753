import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { EVENT_KINDS } from "../src/interactions/kinds.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { compileRules } from "../src/segments/compile-rules.ts";
import { loadMigrations, migrateDatabase, TENANT_MIGRATIONS } from "../src/tenancy/migrations.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { type ClockedServer, startClockedServer, TestClock } from "./support/clocked-server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Segments end to end: the real application over real files, counted and listed in real
 * worker threads. Counts are checked against SQL written here by hand (not by the rule
 * compiler) for a few hundred rule sets drawn with a fixed seed over a seeded workspace.
 */

const HOME = "seg-home";
const OTHER = "seg-other";
/** Friday 2026-03-20, 00:00 UTC: what the seed counts back from; the server's clock stands at noon. */
const ANCHOR = Date.UTC(2026, 2, 20);
const NOW = ANCHOR + 12 * 3_600_000;
const DAY = 86_400_000;
const RULE_SETS = 300;

const dir = tempDir("crm-segments-");
const clock = new TestClock(NOW);
let data: DataDir;
let server: ClockedServer;
let owner: ReturnType<typeof api>;
let member: ReturnType<typeof api>;
let reader: ReturnType<typeof api>;
let other: ReturnType<typeof api>;
let page: BrowserClient;
let readerPage: BrowserClient;

type Value = string | number | null;
// biome-ignore lint/suspicious/noExplicitAny: SQL rows are read field by field
type Row = Record<string, any>;

const sql = (query: string, ...params: Value[]) =>
  data.shards.use(data.get(HOME), (s: Shard) => s.statement(query).all(...params) as Row[]);

/** mulberry32: a small seeded generator, so every run draws the same rule sets. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  return { next, int, pick };
}

const fields: Record<string, number> = {};
/** Letters past ASCII in both cases, written over some seeded people, titles and companies. */
const FIRST_BEYOND_ASCII = [
  "Élodie",
  "ÉLODIE",
  "élodie",
  "Zoë",
  "ZOË",
  "Łukasz",
  "łukasz",
  "Ørjan",
  "Σοφία",
  "ΣΟΦΊΑ",
];
const TITLES_BEYOND_ASCII = ["Directrice générale", "DIRECTRICE GÉNÉRALE", "Gérant"];
const COMPANIES_BEYOND_ASCII = ["Électricité Dupont", "Société Ørsted"];
/** The days "the last N days" rules draw that someone's latest interaction is exactly N days old. */
let boundaryDays: number[] = [];
/** Those people, each with the age in days of their latest call. */
let boundaryPeople: { id: number; days: number }[] = [];
/** The people's text columns and their company's name, read once the workspace is arranged (they do not change in the property test). */
let people: {
  id: number;
  firstName: string;
  title: string | null;
  email: string | null;
  company: string | null;
}[] = [];
let world: {
  firstNames: string[];
  titles: string[];
  companies: string[];
  tags: string[];
  owners: number[];
  openStages: number[];
  currency: string;
};

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant(OTHER);
  await data.user(HOME, "mia@home.test", "member");
  await data.user(HOME, "rita@home.test", "read-only");
  await data.shards.use(data.get(HOME), (s: Shard) =>
    seedTenant(s, { contacts: 600, seed: 7, anchorMs: ANCHOR }),
  );
  await data.shards.use(data.get(OTHER), (s: Shard) =>
    seedTenant(s, { contacts: 50, seed: 8, anchorMs: ANCHOR }),
  );
  server = startClockedServer(dir.path, clock);
  owner = api(server.url, await data.apiKey(HOME, "owner"));
  member = api(server.url, await data.apiKey(HOME, "member"));
  reader = api(server.url, await data.apiKey(HOME, "read-only"));
  other = api(server.url, await data.apiKey(OTHER, "owner"));

  const defs = [
    { key: "tier", label: "Tier", type: "text" },
    { key: "score", label: "Score", type: "number" },
    { key: "renewal", label: "Renewal", type: "date" },
    { key: "plan", label: "Plan", type: "select", options: ["free", "pro", "enterprise"] },
    { key: "langs", label: "Languages", type: "multiselect", options: ["en", "fr", "de"] },
    { key: "vip", label: "VIP", type: "checkbox" },
  ];
  for (const def of defs) {
    const created = await owner("POST", `/t/${HOME}/custom-fields`, { entity: "contact", ...def });
    expect(`${created.status} ${created.text.slice(0, 200)}`).toStartWith("201");
    fields[def.key] = created.json.id;
  }
  // Values for about two thirds of the people, drawn with a fixed seed (written directly: arranging state).
  const rng = random(1234);
  const ids = (await sql("SELECT id FROM contacts ORDER BY id")).map((r) => r.id as number);
  await data.shards.use(data.get(HOME), (s: Shard) =>
    s.transaction(() => {
      const put = s.statement(
        "INSERT INTO custom_values (field_id, record_id, text_value, num_value) VALUES (?, ?, ?, ?)",
      );
      for (const id of ids) {
        if (rng.next() < 0.6)
          put.run(fields.tier as number, id, rng.pick(["gold", "Silver", "bronze", ""]), null);
        if (rng.next() < 0.7) put.run(fields.score as number, id, null, rng.int(100));
        if (rng.next() < 0.5) put.run(fields.renewal as number, id, null, ANCHOR / DAY + rng.int(120) - 60);
        if (rng.next() < 0.6)
          put.run(fields.plan as number, id, rng.pick(["free", "pro", "enterprise"]), null);
        if (rng.next() < 0.5) {
          const langs = ["en", "fr", "de"].filter(() => rng.next() < 0.5);
          put.run(fields.langs as number, id, JSON.stringify(langs), null);
        }
        if (rng.next() < 0.5) put.run(fields.vip as number, id, null, rng.int(2));
      }
    }),
  );
  // Names, titles and companies past ASCII, in several cases (written directly: arranging state).
  await data.shards.use(data.get(HOME), (s: Shard) =>
    s.transaction(() => {
      ids.forEach((id, i) => {
        if (i % 7 === 3)
          s.statement("UPDATE contacts SET first_name = ? WHERE id = ?").run(
            FIRST_BEYOND_ASCII[(i >> 3) % FIRST_BEYOND_ASCII.length] as string,
            id,
          );
        if (i % 11 === 5)
          s.statement("UPDATE contacts SET title = ? WHERE id = ?").run(
            TITLES_BEYOND_ASCII[i % TITLES_BEYOND_ASCII.length] as string,
            id,
          );
      });
      const firstCompanies = s.statement("SELECT id FROM companies ORDER BY id LIMIT 2").all() as Row[];
      expect(firstCompanies.length).toBe(2);
      for (const [i, c] of firstCompanies.entries())
        s.statement("UPDATE companies SET name = ? WHERE id = ?").run(
          COMPANIES_BEYOND_ASCII[i] as string,
          c.id,
        );
    }),
  );
  // Someone whose latest call is exactly N days before the server's clock, for many N (among
  // the newest people, so previews show them too): "the
  // last N days" holds its first instant (people with no call, meeting, email or note since
  // 201 days; written directly: arranging state).
  const quiet = (
    await sql(
      `SELECT c.id FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM interactions i WHERE i.subject_type = 'contact' AND i.subject_id = c.id AND ${ACTIVITY} AND i.occurred_at >= ?) ORDER BY c.created_at DESC, c.id DESC LIMIT 200`,
      NOW - 201 * DAY,
    )
  ).map((r) => r.id as number);
  expect(quiet.length).toBeGreaterThan(20);
  boundaryDays = quiet.map((_, i) => 1 + ((i * 37) % 200));
  boundaryPeople = quiet.map((id, i) => ({ id, days: boundaryDays[i] as number }));
  await data.shards.use(data.get(HOME), (s: Shard) =>
    s.transaction(() => {
      const call = s.statement(
        "INSERT INTO interactions (occurred_at, actor_type, kind, subject_type, subject_id) VALUES (?, 'user', 'call', 'contact', ?)",
      );
      for (const [i, id] of quiet.entries()) call.run(NOW - (boundaryDays[i] as number) * DAY, id);
    }),
  );
  people = (
    await sql(
      "SELECT c.id, c.first_name AS firstName, c.title, c.email, co.name AS company FROM contacts c LEFT JOIN companies co ON co.id = c.company_id",
    )
  ).map((r) => ({ ...r }) as (typeof people)[number]);
  const column = async (query: string) => (await sql(query)).map((r) => r.v);
  world = {
    firstNames: [
      ...(await column("SELECT DISTINCT first_name AS v FROM contacts ORDER BY 1 LIMIT 40")),
      ...FIRST_BEYOND_ASCII,
    ],
    titles: [
      ...(await column(
        "SELECT DISTINCT title AS v FROM contacts WHERE title IS NOT NULL ORDER BY 1 LIMIT 30",
      )),
      ...TITLES_BEYOND_ASCII,
    ],
    companies: await column("SELECT name AS v FROM companies ORDER BY id LIMIT 30"),
    tags: await column("SELECT name AS v FROM tags ORDER BY name"),
    owners: await column("SELECT id AS v FROM users ORDER BY id"),
    openStages: await column("SELECT id AS v FROM stages WHERE kind = 'open' ORDER BY id"),
    currency:
      ((await sql("SELECT value FROM workspace_settings WHERE key = 'currency'"))[0]?.value as string) ??
      "USD",
  };
  // Pushed events (web visits, email opens and clicks, form submissions) for about half the
  // people, through the events API, for the engagement rules' draws (drawn with a fixed seed).
  const pushed = random(99);
  const events: unknown[] = [];
  for (const id of ids) {
    if (pushed.next() < 0.5) continue;
    const n = 1 + pushed.int(6);
    for (let i = 0; i < n; i++)
      events.push({
        type: pushed.pick(EVENT_KINDS),
        contactId: id,
        // Half exactly a whole number of days old: "the last N days" draws meet their boundary.
        occurredAt: NOW - (pushed.next() < 0.5 ? pushed.int(300) * DAY : pushed.int(300 * DAY)),
      });
  }
  const stored = await member("POST", `/t/${HOME}/events`, events);
  expect(`${stored.status} ${stored.text.slice(0, 200)}`).toBe(
    `200 ${JSON.stringify({ stored: events.length, rejected: [] })}`,
  );
  page = await signIn(server.url, HOME, "mia@home.test");
  readerPage = await signIn(server.url, HOME, "rita@home.test");
});

afterAll(async () => {
  await server.stop();
  await server.deps.pool.close();
  data.close();
  dir.remove();
});

/** One rule as the API takes it, and the same condition on `contacts c` written by hand. */
interface Drawn {
  rule: { field: string; kind?: string; op: string; value?: unknown };
  where: string;
  params: Value[];
}

const custom = (key: string, condition: string) =>
  `EXISTS (SELECT 1 FROM custom_values v WHERE v.field_id = ${fields[key]} AND v.record_id = c.id AND ${condition})`;
const hasTag =
  "EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id";
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ACTIVITY = "i.kind IN ('call', 'meeting', 'email', 'note.created')";

function drawRule(rng: ReturnType<typeof random>): Drawn {
  const r = rng.int(17);
  // Text matches whatever the letters' case, ASCII or not: checked here in JavaScript
  // (Unicode lower case), the people matching inlined as ids.
  type TextKey = "firstName" | "title" | "email" | "company";
  const fold = (v: string) => v.toLowerCase();
  const anyCase = (v: string) => rng.pick([v.toUpperCase(), v.toLowerCase(), v]);
  const whose = (key: TextKey, test: (folded: string) => boolean) =>
    `c.id IN (${people
      .filter((p) => p[key] != null && test(fold(p[key] as string)))
      .map((p) => p.id)
      .join(", ")})`;
  const text = (field: string, key: TextKey, column: string, values: string[]): Drawn => {
    const op = rng.pick(["equals", "contains", "in", "is_empty", "is_not_empty"]);
    const v = rng.pick(values);
    if (op === "equals") {
      const value = anyCase(v);
      return { rule: { field, op, value }, where: whose(key, (x) => x === fold(value)), params: [] };
    }
    if (op === "contains") {
      const from = rng.int(2);
      const part = anyCase(v.slice(from, from + 3) || v);
      return {
        rule: { field, op, value: part },
        where: whose(key, (x) => x.includes(fold(part))),
        params: [],
      };
    }
    if (op === "in") {
      const list = [anyCase(v), anyCase(rng.pick(values))];
      const folded = list.map(fold);
      return { rule: { field, op, value: list }, where: whose(key, (x) => folded.includes(x)), params: [] };
    }
    const empty = `(${column} IS NULL OR ${column} = '')`;
    return { rule: { field, op }, where: op === "is_empty" ? empty : `NOT ${empty}`, params: [] };
  };
  switch (r) {
    case 0:
      return text("firstName", "firstName", "c.first_name", world.firstNames);
    case 1:
      return text("title", "title", "c.title", world.titles);
    case 2: {
      const op = rng.pick(["contains", "in", "is_empty", "is_not_empty"]);
      const tag = rng.pick(world.tags);
      if (op === "contains")
        return { rule: { field: "tags", op, value: tag }, where: `${hasTag} AND t.name = ?)`, params: [tag] };
      if (op === "in") {
        const two = [tag, rng.pick(world.tags)];
        return {
          rule: { field: "tags", op, value: two },
          where: `${hasTag} AND t.name IN (?, ?))`,
          params: two,
        };
      }
      return {
        rule: { field: "tags", op },
        where: op === "is_empty" ? `NOT ${hasTag})` : `${hasTag})`,
        params: [],
      };
    }
    case 3: {
      const op = rng.pick(["equals", "in", "is_empty", "is_not_empty"]);
      const id = rng.pick(world.owners);
      if (op === "equals")
        return { rule: { field: "owner", op, value: id }, where: "c.owner_id = ?", params: [id] };
      if (op === "in")
        return { rule: { field: "owner", op, value: [id] }, where: "c.owner_id = ?", params: [id] };
      return {
        rule: { field: "owner", op },
        where: `c.owner_id IS ${op === "is_empty" ? "" : "NOT "}NULL`,
        params: [],
      };
    }
    case 4: {
      const op = rng.pick(["equals", "contains", "is_empty"]);
      const name = rng.pick(world.companies);
      if (op === "equals") {
        const value = anyCase(name);
        return {
          rule: { field: "company", op, value },
          where: whose("company", (x) => x === fold(value)),
          params: [],
        };
      }
      if (op === "contains") {
        const part = anyCase(name.slice(0, 3));
        return {
          rule: { field: "company", op, value: part },
          where: whose("company", (x) => x.includes(fold(part))),
          params: [],
        };
      }
      return { rule: { field: "company", op }, where: "c.company_id IS NULL", params: [] };
    }
    case 5: {
      const op = rng.pick(["equals", "before", "after", "between"]);
      const a = dayOf(ANCHOR - rng.int(400) * DAY);
      const b = dayOf(dayMs(a) + rng.int(60) * DAY);
      if (op === "equals")
        return {
          rule: { field: "createdAt", op, value: a },
          where: "c.created_at BETWEEN ? AND ?",
          params: [dayMs(a), dayMs(a) + DAY - 1],
        };
      if (op === "before")
        return { rule: { field: "createdAt", op, value: a }, where: "c.created_at < ?", params: [dayMs(a)] };
      if (op === "after")
        return {
          rule: { field: "createdAt", op, value: a },
          where: "c.created_at > ?",
          params: [dayMs(a) + DAY - 1],
        };
      return {
        rule: { field: "createdAt", op, value: [a, b] },
        where: "c.created_at BETWEEN ? AND ?",
        params: [dayMs(a), dayMs(b) + DAY - 1],
      };
    }
    case 6: {
      const tier = rng.pick(["gold", "silver", "bronze"]);
      const op = rng.pick(["equals", "contains", "is_empty", "is_not_empty"]);
      if (op === "equals")
        return {
          rule: { field: "cf.tier", op, value: tier },
          where: custom("tier", "lower(v.text_value) = ?"),
          params: [tier],
        };
      if (op === "contains")
        return {
          rule: { field: "cf.tier", op, value: tier.slice(1, 4) },
          where: custom("tier", "instr(lower(v.text_value), ?) > 0"),
          params: [tier.slice(1, 4)],
        };
      const filled = custom("tier", "v.text_value <> ''");
      return {
        rule: { field: "cf.tier", op },
        where: op === "is_empty" ? `NOT ${filled}` : filled,
        params: [],
      };
    }
    case 7: {
      const op = rng.pick(["equals", "greater_than", "less_than", "between", "is_empty"]);
      const a = rng.int(100);
      const b = a + rng.int(30);
      if (op === "equals")
        return {
          rule: { field: "cf.score", op, value: a },
          where: custom("score", "v.num_value = ?"),
          params: [a],
        };
      if (op === "greater_than")
        return {
          rule: { field: "cf.score", op, value: a },
          where: custom("score", "v.num_value > ?"),
          params: [a],
        };
      if (op === "less_than")
        return {
          rule: { field: "cf.score", op, value: a },
          where: custom("score", "v.num_value < ?"),
          params: [a],
        };
      if (op === "between")
        return {
          rule: { field: "cf.score", op, value: [a, b] },
          where: custom("score", "v.num_value >= ? AND v.num_value <= ?"),
          params: [a, b],
        };
      return {
        rule: { field: "cf.score", op },
        where: `NOT ${custom("score", "v.num_value IS NOT NULL")}`,
        params: [],
      };
    }
    case 8: {
      const op = rng.pick(["before", "after", "between", "equals"]);
      const a = dayOf(ANCHOR + (rng.int(120) - 60) * DAY);
      const b = dayOf(dayMs(a) + rng.int(20) * DAY);
      const epoch = (d: string) => dayMs(d) / DAY;
      if (op === "before")
        return {
          rule: { field: "cf.renewal", op, value: a },
          where: custom("renewal", "v.num_value < ?"),
          params: [epoch(a)],
        };
      if (op === "after")
        return {
          rule: { field: "cf.renewal", op, value: a },
          where: custom("renewal", "v.num_value > ?"),
          params: [epoch(a)],
        };
      if (op === "equals")
        return {
          rule: { field: "cf.renewal", op, value: a },
          where: custom("renewal", "v.num_value = ?"),
          params: [epoch(a)],
        };
      return {
        rule: { field: "cf.renewal", op, value: [a, b] },
        where: custom("renewal", "v.num_value >= ? AND v.num_value <= ?"),
        params: [epoch(a), epoch(b)],
      };
    }
    case 9: {
      const op = rng.pick(["equals", "in", "is_empty"]);
      const plan = rng.pick(["free", "pro", "enterprise"]);
      if (op === "equals")
        return {
          rule: { field: "cf.plan", op, value: plan },
          where: custom("plan", "v.text_value = ?"),
          params: [plan],
        };
      if (op === "in")
        return {
          rule: { field: "cf.plan", op, value: [plan, "free"] },
          where: custom("plan", "v.text_value IN (?, 'free')"),
          params: [plan],
        };
      return {
        rule: { field: "cf.plan", op },
        where: `NOT ${custom("plan", "v.text_value <> ''")}`,
        params: [],
      };
    }
    case 10: {
      const op = rng.pick(["contains", "in", "is_empty"]);
      const lang = rng.pick(["en", "fr", "de"]);
      if (op === "contains")
        return {
          rule: { field: "cf.langs", op, value: lang },
          where: custom("langs", "v.text_value LIKE ?"),
          params: [`%"${lang}"%`],
        };
      if (op === "in")
        return {
          rule: { field: "cf.langs", op, value: [lang, "de"] },
          where: custom("langs", "(v.text_value LIKE ? OR v.text_value LIKE '%\"de\"%')"),
          params: [`%"${lang}"%`],
        };
      return {
        rule: { field: "cf.langs", op },
        where: `NOT ${custom("langs", "v.text_value LIKE '%\"%'")}`,
        params: [],
      };
    }
    case 11: {
      const ticked = rng.next() < 0.5;
      return {
        rule: { field: "cf.vip", op: "equals", value: ticked },
        where: `${ticked ? "" : "NOT "}${custom("vip", "v.num_value = 1")}`,
        params: [],
      };
    }
    case 12: {
      // Half the time a day someone's latest call is exactly that old: the boundary counts as within.
      const days = rng.next() < 0.5 ? rng.pick(boundaryDays) : 1 + rng.int(200);
      const op = rng.pick(["none_in_last_days", "in_last_days"]);
      const recent = `EXISTS (SELECT 1 FROM interactions i WHERE i.subject_type = 'contact' AND i.subject_id = c.id AND ${ACTIVITY} AND i.occurred_at >= ?)`;
      return {
        rule: { field: "lastInteraction", op, value: days },
        where: op === "in_last_days" ? recent : `NOT ${recent}`,
        params: [NOW - days * DAY],
      };
    }
    case 13: {
      const op = rng.pick(["equals", "in", "is_not_empty", "is_empty"]);
      const stage = rng.pick(world.openStages);
      const open =
        "EXISTS (SELECT 1 FROM deal_contacts dc JOIN deals d ON d.id = dc.deal_id WHERE dc.contact_id = c.id AND d.status = 'open'";
      if (op === "equals")
        return {
          rule: { field: "openDeal", op, value: stage },
          where: `${open} AND d.stage_id = ?)`,
          params: [stage],
        };
      if (op === "in")
        return {
          rule: { field: "openDeal", op, value: [stage] },
          where: `${open} AND d.stage_id = ?)`,
          params: [stage],
        };
      return {
        rule: { field: "openDeal", op },
        where: op === "is_empty" ? `NOT ${open})` : `${open})`,
        params: [],
      };
    }
    case 14: {
      const op = rng.pick(["greater_than", "less_than", "between"]);
      const a = rng.pick([0, 100, 1000, 5000, 20000, 50000]);
      const total = `(SELECT coalesce(sum(d.amount_cents), 0) FROM deal_contacts dc JOIN deals d ON d.id = dc.deal_id WHERE dc.contact_id = c.id AND d.status = 'won' AND d.currency = '${world.currency}')`;
      if (op === "greater_than")
        return { rule: { field: "wonAmount", op, value: a }, where: `${total} > ?`, params: [a * 100] };
      if (op === "less_than")
        return { rule: { field: "wonAmount", op, value: a }, where: `${total} < ?`, params: [a * 100] };
      return {
        rule: { field: "wonAmount", op, value: [a, a * 3] },
        where: `${total} >= ? AND ${total} <= ?`,
        params: [a * 100, a * 300],
      };
    }
    case 16: {
      // Pushed events of a kind, by hand over the events table (not the engagement summary).
      const kind = rng.pick(EVENT_KINDS);
      const op = rng.pick(["in_last_days", "none_in_last_days", "never", "at_least"]);
      const has = (condition: string) =>
        `EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.id AND e.kind = ?${condition})`;
      if (op === "never")
        return { rule: { field: "engagement", kind, op }, where: `NOT ${has("")}`, params: [kind] };
      if (op === "at_least") {
        const times = 1 + rng.int(4);
        return {
          rule: { field: "engagement", kind, op, value: times },
          where: "(SELECT count(*) FROM events e WHERE e.contact_id = c.id AND e.kind = ?) >= ?",
          params: [kind, times],
        };
      }
      const days = 1 + rng.int(200);
      const recent = has(" AND e.occurred_at >= ?");
      return {
        rule: { field: "engagement", kind, op, value: days },
        where: op === "in_last_days" ? recent : `NOT ${recent}`,
        params: [kind, NOW - days * DAY],
      };
    }
    default:
      return text("email", "email", "c.email", ["example", "mail", ".com", "a"]);
  }
}

interface DrawnSet {
  body: { match: string; rules: unknown[] };
  where: string;
  params: Value[];
}

function drawSet(rng: ReturnType<typeof random>, depth = 1): DrawnSet {
  const match = rng.pick(["all", "any"]);
  const n = 1 + rng.int(depth === 1 ? 4 : 3);
  const parts: DrawnSet[] = [];
  for (let i = 0; i < n; i++) {
    if (depth < 3 && rng.next() < 0.2) parts.push(drawSet(rng, depth + 1));
    else {
      const d = drawRule(rng);
      parts.push({ body: d.rule as never, where: d.where, params: d.params });
    }
  }
  return {
    body: { match, rules: parts.map((p) => ("match" in p.body ? p.body : p.body)) },
    where: parts.map((p) => `(${p.where})`).join(match === "all" ? " AND " : " OR "),
    params: parts.flatMap((p) => p.params),
  };
}

const members = async (call: ReturnType<typeof api>, id: number, query = "") => {
  const response = await call("GET", `/t/${HOME}/segments/${id}/members${query}`);
  expect(`${response.status} ${response.status === 200 ? "" : response.text}`).toBe("200 ");
  return response.json as {
    data: Row[];
    nextCursor: string | null;
    prevCursor: string | null;
    total: number;
  };
};

describe("segment counts", () => {
  it(`match SQL written by hand for ${RULE_SETS} rule sets drawn with a fixed seed`, async () => {
    const created = await member("POST", `/t/${HOME}/segments`, {
      name: "Property",
      match: "all",
      rules: [],
    });
    expect(created.status).toBe(201);
    const id = created.json.id as number;
    const all = (await sql("SELECT count(*) AS n FROM contacts"))[0]?.n as number;
    expect((await members(member, id, "?limit=1")).total).toBe(all);
    const rng = random(20261201);
    const counts = new Set<number>();
    for (let i = 0; i < RULE_SETS; i++) {
      const set = drawSet(rng);
      const patched = await member("PATCH", `/t/${HOME}/segments/${id}`, set.body);
      expect(`${i} ${patched.status} ${patched.status === 200 ? "" : patched.text}`).toBe(`${i} 200 `);
      const expected = await sql(`SELECT count(*) AS n FROM contacts c WHERE ${set.where}`, ...set.params);
      const newest = await sql(
        `SELECT c.id FROM contacts c WHERE ${set.where} ORDER BY c.created_at DESC, c.id DESC LIMIT 5`,
        ...set.params,
      );
      const got = await members(member, id, "?limit=5");
      const rules = JSON.stringify(set.body);
      expect(`${rules} → ${got.total}`).toBe(`${rules} → ${expected[0]?.n}`);
      expect(got.data.map((r) => r.id)).toEqual(newest.map((r) => r.id));
      counts.add(got.total);
    }
    // The draws are not degenerate: many different sizes, including none and everyone.
    expect(counts.size).toBeGreaterThan(40);
    expect(counts.has(0)).toBe(true);
  }, 240_000);
});

describe("segments API", () => {
  it("creates, lists, reads, changes and deletes a segment; read-only keys read; writes need a member", async () => {
    const body = {
      name: "VIP people",
      match: "any",
      rules: [{ field: "cf.vip", op: "equals", value: true }],
    };
    const created = await member("POST", `/t/${HOME}/segments`, body);
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/v1/t/${HOME}/segments/${created.json.id}`);
    expect(created.json).toMatchObject({ name: "VIP people", match: "any", rules: body.rules });
    const id = created.json.id as number;
    const listed = await reader("GET", `/t/${HOME}/segments`);
    expect(listed.status).toBe(200);
    expect(listed.json.data.map((s: Row) => s.name)).toContain("VIP people");
    expect((await reader("GET", `/t/${HOME}/segments/${id}`)).json.name).toBe("VIP people");
    const vip = await sql(
      `SELECT count(*) AS n FROM custom_values WHERE field_id = ? AND num_value = 1`,
      fields.vip as number,
    );
    expect((await members(reader, id, "?limit=1")).total).toBe(vip[0]?.n);

    expect((await reader("POST", `/t/${HOME}/segments`, body)).status).toBe(403);
    expect((await reader("PATCH", `/t/${HOME}/segments/${id}`, { name: "x" })).status).toBe(403);
    expect((await reader("DELETE", `/t/${HOME}/segments/${id}`)).status).toBe(403);

    const renamed = await member("PATCH", `/t/${HOME}/segments/${id}`, { name: "Very important" });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: "Very important", match: "any", rules: body.rules });
    expect((await member("DELETE", `/t/${HOME}/segments/${id}`)).status).toBe(204);
    expect((await reader("GET", `/t/${HOME}/segments/${id}`)).status).toBe(404);
  });

  it("pages members with cursors like the contacts list, each contact once", async () => {
    const created = await member("POST", `/t/${HOME}/segments`, {
      name: "Scored",
      rules: [{ field: "cf.score", op: "greater_than", value: 50 }],
    });
    const id = created.json.id as number;
    const expected = (
      await sql(
        "SELECT record_id AS id FROM custom_values WHERE field_id = ? AND num_value > 50",
        fields.score as number,
      )
    ).map((r) => r.id as number);
    expect(expected.length).toBeGreaterThan(120);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=50&sort=name&order=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const got = await members(reader, id, query);
      expect(got.total).toBe(expected.length);
      seen.push(...got.data.map((r) => r.id as number));
      expect(got.data.every((r) => typeof r.customFields === "object")).toBe(true);
      cursor = got.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(pages).toBe(Math.ceil(expected.length / 50));
    expect(seen.toSorted((a, b) => a - b)).toEqual(expected.toSorted((a, b) => a - b));
    // A segment of very few contacts pages the same way (read in one pass, not by walking the index).
    const two = (await sql(
      "SELECT id, email FROM contacts WHERE email IS NOT NULL ORDER BY id LIMIT 2 OFFSET 3",
    )) as Row[];
    const pair = (
      await member("POST", `/t/${HOME}/segments`, {
        name: "Pair",
        rules: [{ field: "email", op: "in", value: two.map((r) => r.email) }],
      })
    ).json.id as number;
    const byAge = (
      await sql(
        `SELECT id FROM contacts WHERE id IN (?, ?) ORDER BY created_at DESC, id DESC`,
        two[0]?.id as number,
        two[1]?.id as number,
      )
    ).map((r) => r.id);
    const first = await members(reader, pair, "?limit=1");
    expect(first.total).toBe(2);
    expect(first.data.map((r) => r.id)).toEqual(byAge.slice(0, 1));
    const second = await members(
      reader,
      pair,
      `?limit=1&cursor=${encodeURIComponent(first.nextCursor as string)}`,
    );
    expect(second.data.map((r) => r.id)).toEqual(byAge.slice(1));
    expect(second.nextCursor).toBeNull();
    const back = await members(
      reader,
      pair,
      `?limit=1&cursor=${encodeURIComponent(second.prevCursor as string)}`,
    );
    expect(back.data.map((r) => r.id)).toEqual(byAge.slice(0, 1));
    const bad = await reader("GET", `/t/${HOME}/segments/${id}/members?sort=password`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
  });

  it("refuses a rule naming a field that does not exist or a value of the wrong type: 422 naming the rule, nothing written", async () => {
    const before = await sql("SELECT count(*) AS n, max(updated_at) AS t FROM segments");
    const cases: [unknown[], string][] = [
      [[{ field: "cf.nope", op: "equals", value: "x" }], "rules.0.field"],
      [
        [
          { field: "firstName", op: "equals", value: "Ann" },
          { field: "cf.score", op: "greater_than", value: "ten" },
        ],
        "rules.1.value",
      ],
      [[{ field: "createdAt", op: "after", value: "2026-02-30" }], "rules.0.value"],
      [[{ field: "owner", op: "equals", value: 999_999 }], "rules.0.value"],
      [[{ field: "tags", op: "between", value: ["a", "b"] }], "rules.0.op"],
      [
        [{ match: "any", rules: [{ field: "password_hash", op: "equals", value: "x" }] }],
        "rules.0.rules.0.field",
      ],
      [[{ field: "cf.plan", op: "equals", value: "platinum" }], "rules.0.value"],
      [[{ field: "lastInteraction", op: "none_in_last_days", value: 0 }], "rules.0.value"],
    ];
    for (const [rules, field] of cases) {
      const refused = await member("POST", `/t/${HOME}/segments`, { name: "Bad", rules });
      expect(`${JSON.stringify(rules)} ${refused.status}`).toBe(`${JSON.stringify(rules)} 422`);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect(refused.json.errors.map((e: Row) => e.field)).toContain(field);
    }
    const existing = (await member("POST", `/t/${HOME}/segments`, { name: "Keep", rules: [] })).json
      .id as number;
    const patched = await member("PATCH", `/t/${HOME}/segments/${existing}`, {
      name: "Changed",
      rules: [{ field: "cf.score", op: "equals", value: "high" }],
    });
    expect(patched.status).toBe(422);
    expect(patched.json.errors.map((e: Row) => e.field)).toEqual(["rules.0.value"]);
    expect((await member("GET", `/t/${HOME}/segments/${existing}`)).json).toMatchObject({
      name: "Keep",
      rules: [],
    });
    const after = await sql("SELECT count(*) AS n FROM segments");
    expect(after[0]?.n).toBe((before[0]?.n as number) + 1);
  });

  it("answers 404 for another workspace's segment, on the API and the pages", async () => {
    const id = (await member("POST", `/t/${HOME}/segments`, { name: "Mine", rules: [] })).json.id as number;
    for (const path of [`/segments/${id}`, `/segments/${id}/members`]) {
      expect((await other("GET", `/t/${OTHER}${path}`)).status).toBe(404);
    }
    expect((await other("PATCH", `/t/${OTHER}/segments/${id}`, { name: "Theirs" })).status).toBe(404);
    expect((await other("DELETE", `/t/${OTHER}/segments/${id}`)).status).toBe(404);
    expect((await other("GET", `/t/${HOME}/segments/${id}`)).status).toBe(401);
    const otherPage = await signIn(server.url, OTHER, `owner@${OTHER}.test`);
    expect((await otherPage.get(`/t/${OTHER}/segments/${id}`)).status).toBe(404);
    expect((await otherPage.get(`/t/${OTHER}/segments/exports/${id}.csv`)).status).toBe(404);
    expect((await member("GET", `/t/${HOME}/segments/${id}`)).json.name).toBe("Mine");
  });

  it("numbers segments from a random point per workspace: a segment id of one workspace is a 404 in another, bulk change included, and nothing changes", async () => {
    const mine = (await member("POST", `/t/${HOME}/segments`, { name: "Everyone here", rules: [] })).json
      .id as number;
    const theirs = (await other("POST", `/t/${OTHER}/segments`, { name: "Everyone there", rules: [] })).json
      .id as number;
    expect(mine).toBeGreaterThan(2 ** 32);
    expect(theirs).toBeGreaterThan(2 ** 32);
    expect(theirs).not.toBe(mine);
    const contactsOf = (slug: string) =>
      data.shards.use(data.get(slug), (s: Shard) =>
        s.statement("SELECT id, owner_id, tags, updated_at FROM contacts ORDER BY id").all(),
      );
    const [home, away] = [await contactsOf(HOME), await contactsOf(OTHER)];
    expect(away.length).toBeGreaterThan(0);
    const bulk = await other("POST", `/t/${OTHER}/segments/${mine}/bulk`, { action: "delete" });
    expect(bulk.status).toBe(404);
    expect(await contactsOf(OTHER)).toEqual(away);
    expect(await contactsOf(HOME)).toEqual(home);
    expect((await other("DELETE", `/t/${OTHER}/segments/${theirs}`)).status).toBe(204);
    expect((await member("DELETE", `/t/${HOME}/segments/${mine}`)).status).toBe(204);
  });

  it("counts an interaction exactly N days old as within the last N days, in the count and in the pages", async () => {
    const person = boundaryPeople.find((p) => p.days >= 30);
    if (!person) throw new Error("no one whose latest call is 30 days old or more");
    // The newest person, so the first page of members shows them if they are members (arranging state).
    await data.shards.use(data.get(HOME), (s: Shard) =>
      s.statement("UPDATE contacts SET created_at = ? WHERE id = ?").run(NOW, person.id),
    );
    const since = NOW - person.days * DAY;
    const recent = `EXISTS (SELECT 1 FROM interactions i WHERE i.subject_type = 'contact' AND i.subject_id = c.id AND ${ACTIVITY} AND i.occurred_at >= ?)`;
    for (const op of ["in_last_days", "none_in_last_days"]) {
      const created = await member("POST", `/t/${HOME}/segments`, {
        name: `Boundary ${op}`,
        rules: [{ field: "lastInteraction", op, value: person.days }],
      });
      expect(created.status).toBe(201);
      const where = op === "in_last_days" ? recent : `NOT ${recent}`;
      const expected = (await sql(`SELECT count(*) AS n FROM contacts c WHERE ${where}`, since))[0]
        ?.n as number;
      // Enough members that pages walk the newest first (not one pass): see segment-queries.ts fewMatch.
      expect(expected).toBeGreaterThan(10);
      const got = await members(member, created.json.id as number, "?limit=5");
      expect(got.total).toBe(expected);
      expect(got.data.map((r) => r.id).includes(person.id)).toBe(op === "in_last_days");
      expect((await member("DELETE", `/t/${HOME}/segments/${created.json.id}`)).status).toBe(204);
    }
  });

  it("never serves a stale count: a write by another connection changes the next answer", async () => {
    const id = (
      await member("POST", `/t/${HOME}/segments`, {
        name: "Zebras",
        rules: [{ field: "tags", op: "contains", value: "zebra" }],
      })
    ).json.id as number;
    expect((await members(reader, id)).total).toBe(0);
    expect((await members(reader, id)).total).toBe(0);
    // Written through another connection to the file, as another process would.
    const contact = (await sql("SELECT id FROM contacts ORDER BY id LIMIT 1"))[0]?.id as number;
    await data.shards.use(data.get(HOME), (s: Shard) =>
      s.transaction(() => {
        s.statement("INSERT INTO tags (name) VALUES ('zebra')").run();
        s.statement(
          "INSERT INTO contact_tags (contact_id, tag_id) SELECT ?, id FROM tags WHERE name = 'zebra'",
        ).run(contact);
      }),
    );
    const after = await members(reader, id);
    expect(after.total).toBe(1);
    expect(after.data.map((r) => r.id)).toEqual([contact]);
    // And through the API: a second person tagged is counted at once.
    const second = (await sql("SELECT id FROM contacts ORDER BY id LIMIT 1 OFFSET 1"))[0]?.id as number;
    const tagged = await member("PATCH", `/t/${HOME}/contacts/${second}`, { tags: ["zebra"] });
    expect(tagged.status).toBe(200);
    expect((await members(reader, id)).total).toBe(2);
  });
});

describe("segment pages", () => {
  const form = (html: string) => {
    const found = page.forms(html).find((f) => f.attributes.id === "segment-form");
    if (!found) throw new Error("no segment form on the page");
    return found;
  };
  const countOf = (html: string) =>
    Number(/id="segment-count" data-count="(\d+)"/.exec(html)?.[1] ?? Number.NaN);

  it("builds a segment without JavaScript: add a rule, preview, save, then see its members and export them", async () => {
    const blank = await page.get(`/t/${HOME}/segments/new`);
    expect(blank.status).toBe(200);
    expect(blank.text).toContain('aria-current="page"');
    const all = (await sql("SELECT count(*) AS n FROM contacts"))[0]?.n as number;
    expect(countOf(blank.text)).toBe(all);
    // Choosing a field brings the page back with its conditions (no JavaScript: the Preview button).
    const chosen = await page.submit(form(blank.text), {
      fill: { name: "Scores over 80", "rules.0.field": "cf.score" },
      submitter: "Preview",
    });
    expect(chosen.status).toBe(200);
    const withOp = await page.submit(form(chosen.text), {
      fill: { "rules.0.op": "greater_than" },
      submitter: "Preview",
    });
    const previewed = await page.submit(form(withOp.text), {
      fill: { "rules.0.value": "80" },
      submitter: "Preview",
    });
    const expected = (
      await sql(
        "SELECT count(*) AS n FROM custom_values WHERE field_id = ? AND num_value > 80",
        fields.score as number,
      )
    )[0]?.n as number;
    expect(countOf(previewed.text)).toBe(expected);
    // A second rule, added and filled, narrows it.
    const added = await page.submit(form(previewed.text), { submitter: (b) => b.value === "add:" });
    expect(added.text).toContain('name="rules.1.field"');
    const withTag = await page.submit(form(added.text), {
      fill: { "rules.1.field": "cf.vip" },
      submitter: "Preview",
    });
    const both = await page.submit(form(withTag.text), {
      fill: { "rules.1.op": "equals", "rules.1.value": "true" },
      submitter: "Preview",
    });
    const narrowed = (
      await sql(
        `SELECT count(*) AS n FROM custom_values s JOIN custom_values v ON v.record_id = s.record_id AND v.field_id = ? AND v.num_value = 1
         WHERE s.field_id = ? AND s.num_value > 80`,
        fields.vip as number,
        fields.score as number,
      )
    )[0]?.n as number;
    expect(countOf(both.text)).toBe(narrowed);
    const saved = await page.submit(form(both.text), { submitter: "Save segment" });
    expect(saved.status).toBe(303);
    const href = saved.headers.get("location") as string;
    expect(href).toMatch(new RegExp(`^/t/${HOME}/segments/\\d+$`));
    const shown = await readerPage.get(href);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain("Scores over 80");
    expect(shown.text).toContain(`${narrowed} ${narrowed === 1 ? "contact" : "contacts"}`);
    expect((shown.text.match(/<tr id="contact-/g) ?? []).length).toBe(Math.min(narrowed, 50));
    expect(shown.text).not.toContain("bulk-form");
    const id = Number(href.split("/").pop());
    expect(shown.text).toContain(`href="/t/${HOME}/segments/exports/${id}.csv"`);
    const csv = await readerPage.get(`/t/${HOME}/segments/exports/${id}.csv?bom=1`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines.length).toBe(narrowed + 1);
    expect(lines[0]).toContain("Score");
    const list = await readerPage.get(`/t/${HOME}/segments`);
    expect(list.text).toContain("Scores over 80");
    expect(list.text).not.toContain("New segment</a>");
    const cell = await readerPage.htmx("GET", `/t/${HOME}/segments/${id}/count`);
    expect(cell.text).toContain(`data-count="${narrowed}"`);
  });

  it("shows a bad rule inline at its rule with 422, and saves nothing", async () => {
    const before = (await sql("SELECT count(*) AS n FROM segments"))[0]?.n;
    const blank = await page.get(`/t/${HOME}/segments/new`);
    const refused = await page.submit(form(blank.text), {
      fill: { name: "Bad", "rules.0.field": "cf.score" },
      submitter: "Save segment",
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain("Rule 1, condition");
    const typed = await page.post(`/t/${HOME}/segments`, {
      name: "Bad",
      match: "all",
      "rules.0.field": "cf.score",
      "rules.0.op": "greater_than",
      "rules.0.value": "lots",
      intent: "save",
    });
    expect(typed.status).toBe(422);
    expect(typed.text).toMatch(/Rule 1, value: [^<]*number/);
    expect(typed.text).toContain('aria-invalid="true"');
    const unknown = await page.post(`/t/${HOME}/segments`, {
      name: "",
      match: "all",
      "rules.0.field": "cf.gone",
      "rules.0.op": "equals",
      "rules.0.value": "x",
      intent: "save",
    });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain("Rule 1, field");
    expect(unknown.text).toContain("is required");
    expect((await sql("SELECT count(*) AS n FROM segments"))[0]?.n).toBe(before);
  });

  it("updates the live count for the rules as typed (htmx) and redraws the builder", async () => {
    const preview = await page.htmx("POST", `/t/${HOME}/segments/preview`, {
      match: "all",
      "rules.0.field": "cf.plan",
      "rules.0.op": "equals",
      "rules.0.value": "pro",
    });
    expect(preview.status).toBe(200);
    const pro = (
      await sql(
        "SELECT count(*) AS n FROM custom_values WHERE field_id = ? AND text_value = 'pro'",
        fields.plan as number,
      )
    )[0]?.n as number;
    expect(countOf(preview.text)).toBe(pro);
    expect(preview.text).not.toContain("<html");
    // The preview is the newest 20, whether the rules hold many contacts or very few.
    const rowIds = (text: string) => [...text.matchAll(/<tr id="contact-(\d+)"/g)].map((m) => Number(m[1]));
    const newest = await sql(
      `SELECT c.id FROM contacts c JOIN custom_values v ON v.record_id = c.id AND v.field_id = ? AND v.text_value = 'pro'
       ORDER BY c.created_at DESC, c.id DESC LIMIT 20`,
      fields.plan as number,
    );
    expect(newest.length).toBe(20);
    expect(rowIds(preview.text)).toEqual(newest.map((r) => r.id));
    const rare = (
      await sql("SELECT id, email FROM contacts WHERE email IS NOT NULL ORDER BY id LIMIT 1 OFFSET 7")
    )[0] as Row;
    const one = await page.htmx("POST", `/t/${HOME}/segments/preview`, {
      match: "all",
      "rules.0.field": "email",
      "rules.0.op": "equals",
      "rules.0.value": String(rare.email).toUpperCase(),
    });
    expect(countOf(one.text)).toBe(1);
    expect(rowIds(one.text)).toEqual([rare.id]);
    const wrong = await page.htmx("POST", `/t/${HOME}/segments/preview`, {
      match: "all",
      "rules.0.field": "cf.plan",
      "rules.0.op": "equals",
      "rules.0.value": "platinum",
    });
    expect(wrong.text).toContain("Rule 1, value: is not an option of Plan");
    const builder = await page.htmx("POST", `/t/${HOME}/segments/builder`, {
      match: "all",
      "rules.0.field": "cf.plan",
      intent: "group:",
    });
    expect(builder.headers.get("hx-trigger")).toBe("segment-rules-changed");
    expect(builder.text).toContain('name="rules.1.rules.0.field"');
    expect(builder.text).toContain('<option value="equals"');
  });

  it("lets read-only users read segments but not make or change them", async () => {
    const id = (await member("POST", `/t/${HOME}/segments`, { name: "Readable", rules: [] })).json
      .id as number;
    expect((await readerPage.get(`/t/${HOME}/segments/${id}`)).status).toBe(200);
    expect((await readerPage.get(`/t/${HOME}/segments/new`)).status).toBe(403);
    expect((await readerPage.get(`/t/${HOME}/segments/${id}/edit`)).status).toBe(403);
    expect(
      (await readerPage.post(`/t/${HOME}/segments/${id}`, { name: "Mine now", intent: "save" })).status,
    ).toBe(403);
    expect((await readerPage.post(`/t/${HOME}/segments/${id}/delete`, {})).status).toBe(403);
    expect((await member("GET", `/t/${HOME}/segments/${id}`)).json.name).toBe("Readable");
    const edit = await page.get(`/t/${HOME}/segments/${id}/edit`);
    expect(edit.status).toBe(200);
    const deleted = await page.post(`/t/${HOME}/segments/${id}/delete`, {});
    expect(deleted.status).toBe(303);
    expect((await member("GET", `/t/${HOME}/segments/${id}`)).status).toBe(404);
  });
});

describe("segments' migration", () => {
  it("keeps the ids of segments saved before it, numbers new ones from a random point, and reads recent interactions from an index", () => {
    const all = loadMigrations(TENANT_MIGRATIONS);
    const at = all.findIndex((m) => m.sql.some((q) => q.includes("interactions_recent_idx")));
    expect(at).toBeGreaterThan(0);
    const sqlite = new Database(":memory:");
    try {
      migrateDatabase(sqlite, all.slice(0, at));
      const save = (name: string) =>
        Number(
          sqlite
            .query("INSERT INTO segments (name, rules, created_at, updated_at) VALUES (?, '{}', 1, 1)")
            .run(name).lastInsertRowid,
        );
      expect([save("old one"), save("old two")]).toEqual([1, 2]);
      migrateDatabase(sqlite, all);
      const fresh = save("new");
      expect(fresh).toBeGreaterThan(2 ** 32);
      expect(sqlite.query("SELECT id, name FROM segments ORDER BY id").all()).toEqual([
        { id: 1, name: "old one" },
        { id: 2, name: "old two" },
        { id: fresh, name: "new" },
      ]);
      const quiet = compileRules(
        { match: "all", rules: [{ target: { kind: "interaction" }, op: "none_in_last_days", values: [30] }] },
        { now: NOW },
      );
      const plan = sqlite
        .query(`EXPLAIN QUERY PLAN SELECT count(*) FROM contacts c WHERE ${quiet.where}`)
        .all(...quiet.params) as { detail: string }[];
      expect(plan.map((p) => p.detail).join("\n")).toContain("USING COVERING INDEX interactions_recent_idx");
    } finally {
      sqlite.close();
    }
  });
});
