import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { tempDir } from "../../test/support/temp-dir.ts";
import { DataDir } from "../../test/support/workspace.ts";
import { createContact } from "../contacts/create-contact.ts";
import { listContacts } from "../contacts/list-contacts.ts";
import { SYSTEM_ACTOR } from "../identity/viewer.ts";
import { searchAll } from "../search/search-all.ts";
import type { Shard } from "../tenancy/shard.ts";
import { seedTenant } from "./seed-tenant.ts";
import { timeOrder } from "./timeline.ts";

const dir = tempDir();
const data = new DataDir(dir.path);
afterAll(() => {
  data.close();
  dir.remove();
});

const DAY = 86_400_000;
const ANCHOR = Date.UTC(2026, 0, 1);
const CONTACTS = 500;

type Row = Record<string, unknown>;

const use = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);
const rows = <T = Row>(shard: Shard, sql: string, ...params: (string | number)[]) =>
  shard.statement(sql).all(...params) as T[];

/** Ids start at a random point per workspace (migration 0003): compare them as offsets from it. */
function idBase(shard: Shard): number {
  return (shard.statement("SELECT min(id) - 1 AS base FROM users").get() as { base: number }).base;
}

const ID_COLUMNS = /(^id$|_id$|^completed_by$|^created_by$)/;
const PAYLOAD_IDS = ["noteId", "taskId", "fromStageId", "toStageId"];

/** Rows with every id turned into its offset from the workspace's base, payload ids included. */
function relative(shard: Shard, list: Row[]): Row[] {
  const base = idBase(shard);
  return list.map((row) => {
    const out: Row = {};
    for (const [key, value] of Object.entries(row)) {
      if (typeof value === "number" && ID_COLUMNS.test(key)) out[key] = value - base;
      else if (key === "payload" && typeof value === "string") {
        const payload = JSON.parse(value) as Record<string, unknown>;
        for (const k of PAYLOAD_IDS)
          if (typeof payload[k] === "number") payload[k] = (payload[k] as number) - base;
        out[key] = payload;
      } else out[key] = value;
    }
    return out;
  });
}

const dump = (slug: string) =>
  use(slug, (s) => {
    const all = (sql: string) => relative(s, rows(s, sql));
    return {
      contacts: all(
        "SELECT id, first_name, last_name, email, phone, title, company_id, owner_id, created_at, tags FROM contacts ORDER BY id",
      ),
      companies: all(
        "SELECT id, name, domain, phone, city, country, owner_id, created_at FROM companies ORDER BY id",
      ),
      tags: all("SELECT contact_id, tag_id FROM contact_tags ORDER BY 1, 2"),
      deals: all("SELECT * FROM deals ORDER BY id"),
      dealContacts: all("SELECT deal_id, contact_id FROM deal_contacts ORDER BY 1, 2"),
      dealTags: all("SELECT deal_id, tag_id FROM deal_tags ORDER BY 1, 2"),
      tasks: all("SELECT * FROM tasks ORDER BY id"),
      notes: all("SELECT * FROM notes ORDER BY id"),
      interactions: all("SELECT * FROM interactions ORDER BY id"),
      stages: all(
        "SELECT s.id, p.name AS pipeline, s.name, s.position, s.kind FROM stages s JOIN pipelines p ON p.id = s.pipeline_id ORDER BY s.id",
      ),
    };
  });

beforeAll(async () => {
  for (const slug of ["seed-a", "seed-b", "seed-c"]) await data.tenant(slug);
  await data.user("seed-a", "alex@seed-a.test", "member");
  await data.user("seed-b", "alex@seed-b.test", "member");
  await data.user("seed-c", "alex@seed-c.test", "member");
  await use("seed-a", (s) => seedTenant(s, { contacts: CONTACTS, seed: 7, anchorMs: ANCHOR }));
  await use("seed-b", (s) => seedTenant(s, { contacts: CONTACTS, seed: 7, anchorMs: ANCHOR }));
  await use("seed-c", (s) => seedTenant(s, { contacts: CONTACTS, seed: 8, anchorMs: ANCHOR }));
});

describe("seedTenant", () => {
  it("is deterministic: the same seed and anchor give the same data in every table, another seed does not", async () => {
    const a = await dump("seed-a");
    expect(a.contacts.length).toBe(CONTACTS);
    expect(a.companies.length).toBe(63);
    expect(a.deals.length).toBe(150);
    expect(a.tasks.length).toBeGreaterThan(50);
    expect(a.notes.length).toBeGreaterThan(100);
    const b = await dump("seed-b");
    for (const table of Object.keys(a) as (keyof typeof a)[]) expect(b[table]).toEqual(a[table]);
    const c = await dump("seed-c");
    for (const table of ["contacts", "deals", "tasks", "notes", "interactions"] as const)
      expect(c[table]).not.toEqual(a[table]);
  });

  it("makes plausible records: dates within three years, people after their company, emails at its domain", async () => {
    const list = await use("seed-a", (s) =>
      rows<{
        email: string | null;
        createdAt: number;
        domain: string | null;
        companyCreatedAt: number | null;
      }>(
        s,
        `SELECT c.email, c.created_at AS createdAt, co.domain, co.created_at AS companyCreatedAt
         FROM contacts c LEFT JOIN companies co ON co.id = c.company_id`,
      ),
    );
    for (const r of list) {
      expect(r.createdAt).toBeLessThanOrEqual(ANCHOR);
      expect(r.createdAt).toBeGreaterThan(ANCHOR - 3 * 366 * DAY);
      if (r.companyCreatedAt !== null) expect(r.createdAt).toBeGreaterThanOrEqual(r.companyCreatedAt);
      if (r.email && r.domain) expect(r.email.endsWith(`@${r.domain}`)).toBe(true);
    }
    expect(list.filter((r) => r.email).length / list.length).toBeGreaterThan(0.7);
  });

  it("leaves no broken reference", async () => {
    await use("seed-a", (s) => expect(rows(s, "PRAGMA foreign_key_check")).toEqual([]));
  });

  it("puts deals in stages of their own pipeline (Sales, and Partnerships which it adds), with a status, dates and reasons to match", async () => {
    await use("seed-a", (s) => {
      const stages = rows<{ pipeline: string; name: string; kind: string }>(
        s,
        "SELECT p.name AS pipeline, s.name, s.kind FROM stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE p.name = 'Partnerships' ORDER BY s.position",
      );
      expect(stages.map((x) => [x.name, x.kind])).toEqual([
        ["Intro", "open"],
        ["Evaluation", "open"],
        ["Signed", "won"],
        ["Declined", "lost"],
      ]);
      const deals = rows<{
        id: number;
        status: string;
        kind: string;
        stagePipeline: number;
        pipeline: string;
        pipelineId: number;
        stage: string;
        closedAt: number | null;
        lostReason: string | null;
        stageEnteredAt: number;
        createdAt: number;
        updatedAt: number;
        companyCreatedAt: number | null;
        expected: string | null;
        amount: number;
        currency: string;
      }>(
        s,
        `SELECT d.id, d.status, st.kind, st.pipeline_id AS stagePipeline, d.pipeline_id AS pipelineId, p.name AS pipeline,
           st.name AS stage, d.closed_at AS closedAt, d.lost_reason AS lostReason, d.stage_entered_at AS stageEnteredAt,
           d.created_at AS createdAt, d.updated_at AS updatedAt, co.created_at AS companyCreatedAt,
           d.expected_close_on AS expected, d.amount_cents AS amount, d.currency
         FROM deals d JOIN stages st ON st.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id
         LEFT JOIN companies co ON co.id = d.company_id`,
      );
      for (const d of deals) {
        expect(d.stagePipeline).toBe(d.pipelineId);
        expect(d.status).toBe(d.kind);
        expect(d.closedAt !== null).toBe(d.status !== "open");
        if (d.closedAt !== null) expect(d.closedAt).toBe(d.stageEnteredAt);
        expect(d.lostReason !== null).toBe(d.status === "lost");
        expect(d.createdAt).toBeLessThanOrEqual(d.stageEnteredAt);
        expect(d.stageEnteredAt).toBeLessThanOrEqual(d.updatedAt);
        expect(d.updatedAt).toBeLessThan(ANCHOR);
        if (d.companyCreatedAt !== null) expect(d.createdAt).toBeGreaterThan(d.companyCreatedAt);
        expect(d.expected).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(["USD", "EUR", "GBP"]).toContain(d.currency);
        expect(d.amount % 100).toBe(0);
      }
      const share = (f: (d: (typeof deals)[number]) => boolean) => deals.filter(f).length / deals.length;
      expect(share((d) => d.pipeline === "Partnerships")).toBeGreaterThan(0.05);
      expect(share((d) => d.pipeline === "Sales")).toBeGreaterThan(0.6);
      for (const status of ["open", "won", "lost"])
        expect(share((d) => d.status === status)).toBeGreaterThan(0.1);
      expect(share((d) => d.currency === "USD")).toBeGreaterThan(0.7);
      expect(share((d) => d.currency !== "USD")).toBeGreaterThan(0);
      // More open deals in the first stage than in the last open one; closed deals older than open ones.
      const open = deals.filter((d) => d.pipeline === "Sales" && d.status === "open");
      expect(open.filter((d) => d.stage === "Lead").length).toBeGreaterThan(
        open.filter((d) => d.stage === "Negotiation").length,
      );
      const meanAge = (list: typeof deals) =>
        list.reduce((sum, d) => sum + (ANCHOR - d.createdAt), 0) / list.length;
      expect(meanAge(deals.filter((d) => d.status !== "open"))).toBeGreaterThan(
        meanAge(deals.filter((d) => d.status === "open")),
      );
      // Open deals are expected to close around now.
      for (const d of deals.filter((x) => x.status === "open")) {
        const expected = Date.parse(`${d.expected}T00:00:00Z`);
        expect(Math.abs(expected - ANCHOR)).toBeLessThan(200 * DAY);
      }
    });
  });

  it("puts one to three people on each deal, from the deal's company when it has one", async () => {
    await use("seed-a", (s) => {
      const counts = rows<{ n: number; outside: number }>(
        s,
        `SELECT count(*) AS n, sum(d.company_id IS NOT NULL AND c.company_id IS NOT d.company_id) AS outside
         FROM deals d JOIN deal_contacts dc ON dc.deal_id = d.id JOIN contacts c ON c.id = dc.contact_id GROUP BY d.id`,
      );
      expect(counts.length).toBe(150);
      for (const c of counts) {
        expect(c.n).toBeGreaterThanOrEqual(1);
        expect(c.n).toBeLessThanOrEqual(3);
        expect(c.outside).toBe(0);
      }
      expect(counts.some((c) => c.n > 1)).toBe(true);
    });
  });

  it("keeps each deal's tags column in step with deal_tags, as for contacts", async () => {
    await use("seed-a", (s) => {
      const mismatched = rows(
        s,
        `SELECT d.id, d.tags, (SELECT ifnull(group_concat(name, ','), '') FROM
           (SELECT t.name FROM deal_tags x JOIN tags t ON t.id = x.tag_id WHERE x.deal_id = d.id ORDER BY t.name)) AS joined
         FROM deals d WHERE d.tags IS NOT joined`,
      );
      expect(mismatched).toEqual([]);
      expect(rows(s, "SELECT 1 FROM deals WHERE tags <> '' LIMIT 1").length).toBe(1);
    });
  });

  it("logs each deal's history: created, every stage it went through, then won or lost with the reason", async () => {
    await use("seed-a", (s) => {
      const deals = rows<{ id: number; stageId: number; status: string; lostReason: string | null }>(
        s,
        "SELECT id, stage_id AS stageId, status, lost_reason AS lostReason FROM deals",
      );
      const log = rows<{ subjectId: number; kind: string; payload: string; occurredAt: number }>(
        s,
        "SELECT subject_id AS subjectId, kind, payload, occurred_at AS occurredAt FROM interactions WHERE kind LIKE 'deal.%' ORDER BY id",
      );
      for (const d of deals) {
        const own = log.filter((e) => e.subjectId === d.id);
        expect(own[0]?.kind).toBe("deal.created");
        const moves = own.filter((e) => e.kind === "deal.stage_changed").map((e) => JSON.parse(e.payload));
        let at = moves.length ? moves[0].fromStageId : d.stageId;
        for (const m of moves) {
          expect(m.fromStageId).toBe(at);
          at = m.toStageId;
        }
        expect(at).toBe(d.stageId);
        const last = own[own.length - 1] as (typeof own)[number];
        if (d.status === "won") expect(last.kind).toBe("deal.won");
        if (d.status === "lost") {
          expect(last.kind).toBe("deal.lost");
          expect(JSON.parse(last.payload).reason).toBe(d.lostReason);
        }
      }
    });
  });

  it("makes tasks open (overdue, due today, upcoming, undated) and done, about people and deals", async () => {
    await use("seed-a", (s) => {
      const tasks = rows<{
        dueAt: number | null;
        completedAt: number | null;
        completedBy: number | null;
        createdAt: number;
        subjectType: string | null;
        assignee: number | null;
      }>(
        s,
        `SELECT due_at AS dueAt, completed_at AS completedAt, completed_by AS completedBy, created_at AS createdAt,
           subject_type AS subjectType, assignee_id AS assignee FROM tasks`,
      );
      const open = tasks.filter((t) => t.completedAt === null);
      const done = tasks.filter((t) => t.completedAt !== null);
      expect(done.length).toBeGreaterThan(open.length);
      expect(open.some((t) => t.dueAt !== null && t.dueAt < ANCHOR)).toBe(true);
      expect(open.some((t) => t.dueAt !== null && t.dueAt >= ANCHOR && t.dueAt < ANCHOR + DAY)).toBe(true);
      expect(open.some((t) => t.dueAt !== null && t.dueAt >= ANCHOR + DAY)).toBe(true);
      expect(open.some((t) => t.dueAt === null)).toBe(true);
      for (const t of done) {
        expect(t.completedAt as number).toBeGreaterThan(t.createdAt);
        expect(t.completedAt as number).toBeLessThan(ANCHOR);
        expect(t.completedBy).not.toBeNull();
      }
      expect(new Set(tasks.map((t) => t.subjectType))).toEqual(new Set(["contact", "deal", null]));
      expect(tasks.every((t) => t.assignee !== null)).toBe(true);
    });
  });

  it("writes notes of a few sentences on people, deals and companies, some with a link", async () => {
    await use("seed-a", (s) => {
      const notes = rows<{ body: string; subjectType: string }>(
        s,
        "SELECT body, subject_type AS subjectType FROM notes",
      );
      expect(notes.length / CONTACTS).toBeGreaterThan(0.2);
      expect(new Set(notes.map((n) => n.subjectType))).toEqual(new Set(["contact", "deal", "company"]));
      expect(notes.some((n) => /https:\/\/\S+/.test(n.body))).toBe(true);
      for (const n of notes) {
        expect(n.body).not.toContain("undefined");
        expect(n.body).not.toMatch(/\{\w+\}/);
      }
    });
  });

  it("logs every note and completed task, pointing at a note or task that exists, on its record", async () => {
    await use("seed-a", (s) => {
      const notes = rows(
        s,
        `SELECT i.id FROM interactions i LEFT JOIN notes n ON n.id = json_extract(i.payload, '$.noteId')
         WHERE i.kind = 'note.created' AND (n.id IS NULL OR n.subject_type <> i.subject_type OR n.subject_id <> i.subject_id
           OR n.created_at <> i.occurred_at)`,
      );
      expect(notes).toEqual([]);
      const tasks = rows(
        s,
        `SELECT i.id FROM interactions i LEFT JOIN tasks t ON t.id = json_extract(i.payload, '$.taskId')
         WHERE i.kind = 'task.completed' AND (t.id IS NULL OR t.title <> json_extract(i.payload, '$.title')
           OR t.completed_at <> i.occurred_at OR i.subject_type <> ifnull(t.subject_type, 'task')
           OR i.subject_id <> ifnull(t.subject_id, t.id))`,
      );
      expect(tasks).toEqual([]);
      const count = (sql: string) => (s.statement(sql).get() as { n: number }).n;
      expect(count("SELECT count(*) AS n FROM interactions WHERE kind = 'note.created'")).toBe(
        count("SELECT count(*) AS n FROM notes"),
      );
      expect(count("SELECT count(*) AS n FROM interactions WHERE kind = 'task.completed'")).toBe(
        count("SELECT count(*) AS n FROM tasks WHERE completed_at IS NOT NULL"),
      );
    });
  });

  it("logs about ten entries per person, in time order: ids grow with occurred_at, nothing after now", async () => {
    await use("seed-a", (s) => {
      const log = rows<{
        id: number;
        occurredAt: number;
        kind: string;
        actorType: string;
        actorId: number | null;
      }>(
        s,
        "SELECT id, occurred_at AS occurredAt, kind, actor_type AS actorType, actor_id AS actorId FROM interactions ORDER BY id",
      );
      expect(log.length).toBeGreaterThan(CONTACTS * 9.5);
      expect(log.length).toBeLessThan(CONTACTS * 10.5);
      for (let i = 1; i < log.length; i++)
        expect((log[i] as (typeof log)[number]).occurredAt).toBeGreaterThanOrEqual(
          (log[i - 1] as (typeof log)[number]).occurredAt,
        );
      expect((log[log.length - 1] as (typeof log)[number]).occurredAt).toBeLessThan(ANCHOR);
      for (const e of log) expect(e.actorType === "system").toBe(e.actorId === null);
      const kinds = new Set(log.map((e) => e.kind));
      for (const kind of [
        "contact.created",
        "company.created",
        "deal.created",
        "deal.stage_changed",
        "deal.won",
        "deal.lost",
        "call",
        "meeting",
        "email",
        "note.created",
        "task.completed",
      ])
        expect(kinds).toContain(kind);
      const activities = rows<{ payload: string }>(
        s,
        "SELECT payload FROM interactions WHERE kind IN ('call', 'meeting', 'email')",
      );
      const summaries = new Set<string>();
      for (const { payload } of activities) {
        const p = JSON.parse(payload) as { summary: string; direction: string };
        expect(Object.keys(p)).toEqual(["summary", "direction"]);
        expect(["inbound", "outbound"]).toContain(p.direction);
        expect(p.summary).not.toMatch(/\{\w+\}|undefined/);
        summaries.add(p.summary);
      }
      expect(summaries.size).toBeGreaterThan(activities.length / 3);
    });
  });

  it("logs more about customers than about others", async () => {
    await use("seed-a", (s) => {
      const perContact = rows<{ customer: number; n: number }>(
        s,
        `SELECT (',' || c.tags || ',') LIKE '%,customer,%' AS customer, count(i.id) * 1.0 / count(DISTINCT c.id) AS n
         FROM contacts c LEFT JOIN interactions i ON i.subject_type = 'contact' AND i.subject_id = c.id GROUP BY 1 ORDER BY 1`,
      );
      expect((perContact[1] as { n: number }).n).toBeGreaterThan((perContact[0] as { n: number }).n * 1.5);
    });
  });

  it("takes fewer log entries and deals when asked", async () => {
    await data.tenant("seed-small");
    const result = await use("seed-small", (s) =>
      seedTenant(s, { contacts: 200, seed: 3, anchorMs: ANCHOR, deals: 10, interactionsPerContact: 4 }),
    );
    expect(result.deals).toBe(10);
    expect(result.interactions).toBeGreaterThan(200 * 3.5);
    expect(result.interactions).toBeLessThan(200 * 4.5);
    const none = await use("seed-small", (s) =>
      seedTenant(s, { contacts: 100, seed: 4, anchorMs: ANCHOR, deals: 0, interactionsPerContact: 0 }),
    );
    expect(none.deals).toBe(0);
    // Nothing but what the records themselves log (created, notes, tasks): no calls, meetings or emails.
    expect(none.interactions).toBeLessThan(100 * 2);
  });

  it("indexes what it loads for search in one pass, and leaves row-by-row indexing on for everything after", async () => {
    await use("seed-a", (shard) => {
      const someone = shard
        .statement("SELECT id, last_name AS lastName FROM contacts ORDER BY id LIMIT 1 OFFSET 122")
        .get() as { id: number; lastName: string };
      const found = listContacts(shard, { q: someone.lastName, limit: 200 });
      expect(found.rows.some((c) => c.id === someone.id)).toBe(true);
      expect(shard.statement("SELECT search_index_deferred AS d FROM shard_state").get()).toEqual({ d: 0 });
      const added = createContact(shard, SYSTEM_ACTOR, {
        firstName: "Zebedee",
        lastName: "Afterseed",
        tags: [],
      });
      expect(listContacts(shard, { q: "afterseed", limit: 10 }).rows.map((c) => c.id)).toEqual([added.id]);
      shard.sqlite.run("INSERT INTO contacts_fts(contacts_fts) VALUES ('integrity-check')");
    });
  });

  it("makes seeded deals and notes findable by their words", async () => {
    await use("seed-a", (shard) => {
      const deal = shard.statement("SELECT id, title FROM deals ORDER BY id LIMIT 1 OFFSET 42").get() as {
        id: number;
        title: string;
      };
      expect(searchAll(shard, deal.title, 50).deal.map((d) => d.id)).toContain(deal.id);
      const word = deal.title.split(" ").find((w) => /^\p{L}{4,}$/u.test(w)) as string;
      expect(searchAll(shard, word, 500).deal.map((d) => d.id)).toContain(deal.id);
      const note = shard.statement("SELECT id, body FROM notes ORDER BY id LIMIT 1 OFFSET 17").get() as {
        id: number;
        body: string;
      };
      expect(searchAll(shard, note.body.split(/[.:]/)[0] as string, 500).note.map((n) => n.id)).toContain(
        note.id,
      );
      shard.sqlite.run("INSERT INTO deals_fts(deals_fts) VALUES ('integrity-check')");
      shard.sqlite.run("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')");
    });
  });
});

describe("timeOrder", () => {
  it("orders by time, ties in insertion order, like a stable sort", () => {
    const n = 20_000;
    const at = new Float64Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      at[i] = 1_700_000_000_000 + (x % 5_000) * 97_000_000 + (i % 3 === 0 ? 0 : x % 1000);
    }
    const expected = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (at[a] as number) - (at[b] as number) || a - b,
    );
    expect([...timeOrder(at, n)]).toEqual(expected);
  });
});
