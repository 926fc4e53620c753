import { describe, expect, it } from "bun:test";
import { type Json, type SyncWorkspace, suiteWorkspace } from "./support/sync-workspace.ts";
import { api, signIn } from "./support/workspace.ts";

/**
 * The changes feed (GET /changes) entry by entry: what it carries and leaves out, its cursor on
 * every page, its refusals, who may read it, merges and erasures. Through the real server.
 */

const SLUG = "feed-home";
const OTHER = "feed-other";

const ws = suiteWorkspace(SLUG, OTHER);
const owner: SyncWorkspace["owner"] = (...args) => ws.owner(...args);
const readOnly: SyncWorkspace["readOnly"] = (...args) => ws.readOnly(...args);
const call: SyncWorkspace["call"] = (...args) => ws.call(...args);

/** Everything in the feed after `after`, read to its end; the cursor it ends on. */
async function feedAfter(
  after: string,
  limit = 1000,
): Promise<{ data: Json[]; cursor: string; pages: number }> {
  const all: Json[] = [];
  let cursor = after;
  let pages = 0;
  for (;;) {
    const page = await call("GET", `/changes?after=${cursor}&limit=${limit}`);
    pages++;
    all.push(...page.data);
    expect(typeof page.nextCursor).toBe("string");
    if (page.nextCursor === cursor) return { data: all, cursor, pages };
    cursor = page.nextCursor;
  }
}

/** The feed's end right now. */
const head = async () => (await feedAfter("0")).cursor;

/** How many entries the log holds: a read of the feed must not change it. */
const logSize = () =>
  ws.data.shards.use(
    ws.data.get(SLUG),
    (s) => s.statement("SELECT count(*) AS n FROM interactions").get() as { n: number },
  );

describe("GET /changes", () => {
  it("carries creates, updates with their fields, tombstones, stage moves, notes, tasks and activities, oldest first, and no integration events", async () => {
    const start = await head();
    const contact = await call("POST", "/contacts", {
      firstName: "Ada",
      lastName: "Feed",
      email: "ada@feed.test",
    });
    await call("PATCH", `/contacts/${contact.id}`, { title: "Engineer" });
    const deal = await call("POST", "/deals", { title: "Feed deal", contactIds: [contact.id] });
    const sales = (await call("GET", "/pipelines")).data.find((p: Json) => p.name === "Sales");
    const qualified = sales.stages.find((s: Json) => s.name === "Qualified").id;
    const lost = sales.stages.find((s: Json) => s.name === "Lost").id;
    await call("PATCH", `/deals/${deal.id}`, { stageId: qualified });
    await call("PATCH", `/deals/${deal.id}`, { stageId: lost, lostReason: "Price" });
    const note = await call("POST", "/notes", {
      subjectType: "deal",
      subjectId: deal.id,
      body: "Secret words",
    });
    await call("PATCH", `/notes/${note.id}`, { body: "Other words" });
    await call("DELETE", `/notes/${note.id}`);
    const task = await call("POST", "/tasks", {
      title: "Call back",
      subjectType: "contact",
      subjectId: contact.id,
    });
    await call("PATCH", `/tasks/${task.id}`, { completed: true });
    await call("DELETE", `/tasks/${task.id}`);
    const loose = await call("POST", "/tasks", { title: "About nothing" });
    await call("PATCH", `/tasks/${loose.id}`, { completed: true });
    const activity = await call("POST", "/interactions", {
      kind: "call",
      subjectType: "contact",
      subjectId: contact.id,
      summary: "Rang",
    });
    const events = await owner("POST", `/t/${SLUG}/events`, [
      { type: "web.visit", contactId: contact.id, url: "https://example.com/visited" },
    ]);
    expect(events.status).toBeLessThan(300);
    await call("DELETE", `/deals/${deal.id}`);

    const { data: entries } = await feedAfter(start, 3);
    const ids = entries.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    const c = String(contact.id);
    const d = String(deal.id);
    const onDeal = { type: "deal", id: d };
    const onContact = { type: "contact", id: c };
    const shapes = entries.map(({ id: _id, occurredAt, actor, ...rest }) => {
      expect(occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(actor).toEqual({ type: "api_key", id: expect.stringMatching(/^\d+$/) });
      return rest;
    });
    expect(shapes).toEqual([
      { type: "contact.created", object: onContact },
      {
        type: "contact.updated",
        object: onContact,
        fields: ["title"],
        changes: { title: [null, "Engineer"] },
      },
      { type: "deal.created", object: onDeal },
      {
        type: "deal.stage_changed",
        object: onDeal,
        fields: ["stageId"],
        changes: { stageId: [expect.any(Number), qualified] },
      },
      {
        type: "deal.stage_changed",
        object: onDeal,
        fields: ["stageId"],
        changes: { stageId: [qualified, lost] },
      },
      { type: "deal.lost", object: onDeal },
      { type: "note.created", object: { type: "note", id: String(note.id), subject: onDeal } },
      { type: "note.updated", object: { type: "note", id: String(note.id), subject: onDeal } },
      { type: "note.deleted", object: { type: "note", id: String(note.id), subject: onDeal } },
      { type: "task.completed", object: { type: "task", id: String(task.id), subject: onContact } },
      { type: "task.deleted", object: { type: "task", id: String(task.id), subject: onContact } },
      { type: "task.completed", object: { type: "task", id: String(loose.id) } },
      {
        type: "activity.created",
        object: { type: "activity", id: String(activity.id), subject: onContact },
        activityKind: "call",
      },
      { type: "deal.deleted", object: onDeal },
    ]);
    // Neither a note's words nor an integration event's URL travel in the feed.
    const text = JSON.stringify(entries);
    expect(text).not.toContain("words");
    expect(text).not.toContain("example.com");
  });

  it("answers a string cursor on every page, the last too; polling with it returns nothing until something happens, then only that", async () => {
    const end = await head();
    const quiet = await call("GET", `/changes?after=${end}`);
    expect(quiet).toEqual({ data: [], nextCursor: end });
    const contact = await call("POST", "/contacts", { firstName: "Later" });
    const next = await call("GET", `/changes?after=${end}`);
    expect(next.data.map((e: Json) => [e.type, e.object.id])).toEqual([
      ["contact.created", String(contact.id)],
    ]);
    expect(next.nextCursor).toBe(next.data[0].id);
    expect(await call("GET", `/changes?after=${next.nextCursor}`)).toEqual({
      data: [],
      nextCursor: next.nextCursor,
    });
    // Past the log's end is a cursor the feed never answered: refused, not echoed (entries would go by).
    const past = await owner("GET", `/t/${SLUG}/changes?after=9007199254740991`);
    expect(past.status).toBe(400);
    expect(past.json.errors).toEqual([expect.objectContaining({ field: "after" })]);
  });

  it("reads at most `limit` entries a page (default 100, up to 1000) and pages through all of them exactly once", async () => {
    const start = await head();
    for (let i = 0; i < 7; i++) await call("POST", "/companies", { name: `Paged ${i}` });
    const whole = await feedAfter(start, 1000);
    expect(whole.data).toHaveLength(7);
    const paged = await feedAfter(start, 2);
    expect(paged.data).toEqual(whole.data);
    expect(paged.pages).toBe(5); // 2+2+2+1, then the empty poll
    // Past 100 entries in all, a page without `limit` holds the first 100 of them.
    for (let i = 0; i < 100; i++) await call("POST", "/companies", { name: `Filler ${i}` });
    const everything = await feedAfter("0");
    expect(everything.data.length).toBeGreaterThan(100);
    const first = await call("GET", "/changes");
    expect(first.data).toEqual(everything.data.slice(0, 100));
    expect(first.nextCursor).toBe(everything.data[99].id);
  });

  it("moves its cursor past log entries it does not carry, reading no more than `limit` of them a page", async () => {
    const start = await head();
    // Kinds the feed leaves out, and a note entry an erasure emptied (it no longer names its note).
    const ids = await ws.data.shards.use(ws.data.get(SLUG), (shard) =>
      shard.transaction(() =>
        ["bulk.unknown", "bulk.unknown", "note.created", "bulk.unknown"].map((kind) =>
          Number(
            shard
              .statement(
                `INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload)
                 VALUES (?, 'system', NULL, ?, 'contact', 1, '{}') RETURNING id`,
              )
              .values(Date.now(), kind)[0]?.[0],
          ),
        ),
      ),
    );
    const page1 = await call("GET", `/changes?after=${start}&limit=3`);
    expect(page1).toEqual({ data: [], nextCursor: String(ids[2]) });
    const page2 = await call("GET", `/changes?after=${page1.nextCursor}&limit=3`);
    expect(page2).toEqual({ data: [], nextCursor: String(ids[3]) });
    expect(await call("GET", `/changes?after=${page2.nextCursor}&limit=3`)).toEqual(page2);
  });

  it("refuses a cursor or limit that is not exactly a whole number in range with a 400 problem, and unknown parameters; changes nothing", async () => {
    const before = await logSize();
    const bad = [
      "after=abc",
      "after=-1",
      "after=1.5",
      "after=1e3",
      "after=0x10",
      "after=%201",
      "after=",
      "after=99999999999999999",
      "after=9007199254740993",
      "after=1&after=2x",
      "limit=0",
      "limit=1001",
      "limit=abc",
      "limit=1.5",
      "limit=",
      "cursor=1",
      "since=1",
    ];
    for (const query of bad) {
      const response = await owner("GET", `/t/${SLUG}/changes?${query}`);
      expect(`${query} ${response.status}`).toBe(`${query} 400`);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.json.status).toBe(400);
    }
    expect(await logSize()).toEqual(before);
  });

  it("is read with any key of the workspace (read-only too) and never with another workspace's", async () => {
    expect((await readOnly("GET", `/t/${SLUG}/changes?limit=1`)).status).toBe(200);
    expect((await readOnly("POST", `/t/${SLUG}/changes`, {})).status).toBeGreaterThanOrEqual(400);
    const other = api(ws.server.url, await ws.data.apiKey(OTHER, "owner"));
    for (const path of [`/t/${SLUG}/changes`, `/t/${SLUG}/users`]) {
      const response = await other("GET", path);
      expect(response.status).toBe(401);
    }
    const nobody = await fetch(`${ws.server.url}/api/v1/t/${SLUG}/changes`);
    expect(nobody.status).toBe(401);
  });

  it("names a merge's duplicate, and once a person is erased no entry about them carries their name, email or changes", async () => {
    const start = await head();
    const keep = await call("POST", "/contacts", { firstName: "Keep", lastName: "Me" });
    const twin = await call("POST", "/contacts", { firstName: "Keep", lastName: "Twin" });
    await call("POST", `/contacts/${keep.id}/merge`, { duplicateId: twin.id });
    const gone = await call("POST", "/contacts", {
      firstName: "Zebedee",
      lastName: "Quux",
      email: "zebedee@private.test",
    });
    await call("PATCH", `/contacts/${gone.id}`, { email: "zq@private.test", title: "Secret title" });
    await call("POST", "/notes", { subjectType: "contact", subjectId: gone.id, body: "about Zebedee" });
    const admin = await signIn(ws.server.url, SLUG, `owner@${SLUG}.test`);
    await admin.get(`/t/${SLUG}/privacy/contacts/${gone.id}/erasure`);
    expect((await admin.post(`/t/${SLUG}/privacy/contacts/${gone.id}/erasure`, {})).status).toBe(303);
    await ws.server.waitForLine((l) => l.msg === "person erased" && l.contactId === gone.id);

    const { data: entries } = await feedAfter(start);
    const merged = entries.find((e) => e.type === "contact.merged");
    expect(merged.object).toEqual({ type: "contact", id: String(keep.id) });
    expect(merged.mergedId).toBe(String(twin.id));
    // The merge re-pointed the twin's history: its creation now reads as about the survivor.
    expect(entries.filter((e) => e.object.id === String(twin.id))).toEqual([]);
    const about = entries.filter(
      (e) => e.object.id === String(gone.id) || e.object.subject?.id === String(gone.id),
    );
    expect(about.map((e) => e.type)).toEqual(["contact.created", "contact.updated", "contact.erased"]);
    expect(about[1].changes).toBeUndefined();
    const text = JSON.stringify(entries);
    for (const secret of ["Zebedee", "Quux", "private.test", "Secret title"])
      expect(text).not.toContain(secret);
  });
});
