import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { FAST_HASHING, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * The changes feed (GET /changes) entry by entry, its cursor and its refusals; what touches a
 * record's updatedAt; `updatedSince` and the resumable `sort=updatedAt` cursor; the notes
 * list's cursor; /users. All through the real server.
 */

const SLUG = "feed-home";
const OTHER = "feed-other";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: ReturnType<typeof api>;
let readOnly: ReturnType<typeof api>;
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

async function call(method: string, path: string, body?: object): Promise<Json> {
  const response = await owner(method, `/t/${SLUG}${path}`, body);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.json;
}

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

/** Counts of the tables the feed could be suspected of writing to, and the feed itself. */
const logSize = () =>
  data.shards.use(
    data.get(SLUG),
    (s) => s.statement("SELECT count(*) AS n FROM interactions").get() as { n: number },
  );

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path, env: FAST_HASHING });
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  await data.tenant(OTHER);
  owner = api(server.url, await data.apiKey(SLUG, "owner"));
  readOnly = api(server.url, await data.apiKey(SLUG, "read-only"));
});

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

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
    // Far past the end is not an error: nothing, and the same cursor back.
    expect(await call("GET", "/changes?after=9007199254740991")).toEqual({
      data: [],
      nextCursor: "9007199254740991",
    });
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
    const other = api(server.url, await data.apiKey(OTHER, "owner"));
    for (const path of [`/t/${SLUG}/changes`, `/t/${SLUG}/users`]) {
      const response = await other("GET", path);
      expect(response.status).toBe(401);
    }
    const nobody = await fetch(`${server.url}/api/v1/t/${SLUG}/changes`);
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
    const admin = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
    await admin.get(`/t/${SLUG}/privacy/contacts/${gone.id}/erasure`);
    expect((await admin.post(`/t/${SLUG}/privacy/contacts/${gone.id}/erasure`, {})).status).toBe(303);
    await server.waitForLine((l) => l.msg === "person erased" && l.contactId === gone.id);

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

describe("updatedAt and updatedSince", () => {
  it("a note, a task or an activity added, changed or removed on a record touches its updatedAt (one in its transaction)", async () => {
    const contact = await call("POST", "/contacts", { firstName: "Touched" });
    let last = contact.updatedAt as string;
    const touched = async (what: string, act: () => Promise<unknown>) => {
      await Bun.sleep(3);
      await act();
      const now = (await call("GET", `/contacts/${contact.id}`)).updatedAt as string;
      expect(`${what}: ${now > last}`).toBe(`${what}: true`);
      last = now;
    };
    const subject = { subjectType: "contact", subjectId: contact.id };
    let note: Json;
    await touched("note added", async () => {
      note = await call("POST", "/notes", { ...subject, body: "n" });
    });
    await touched("note edited", () => call("PATCH", `/notes/${note.id}`, { body: "n2" }));
    await touched("note deleted", () => call("DELETE", `/notes/${note.id}`));
    let task: Json;
    await touched("task created", async () => {
      task = await call("POST", "/tasks", { ...subject, title: "t" });
    });
    await touched("task completed", () => call("PATCH", `/tasks/${task.id}`, { completed: true }));
    await touched("task deleted", () => call("DELETE", `/tasks/${task.id}`));
    let activity: Json;
    await touched("activity logged", async () => {
      activity = await call("POST", "/interactions", { ...subject, kind: "email", summary: "e" });
    });
    // Correcting and removing a logged activity happens on the record's page (a user's).
    const admin = await signIn(server.url, SLUG, `owner@${SLUG}.test`);
    const base = `/t/${SLUG}/activities/${activity.id}`;
    await touched("activity corrected", async () => {
      await admin.get(`${base}/edit`);
      const response = await admin.post(base, { summary: "e2" });
      expect(response.status).toBe(303);
    });
    await touched("activity removed", async () => {
      const response = await admin.post(`${base}/delete`, {});
      expect(response.status).toBe(303);
    });
    // A refused write touches nothing.
    const bad = await owner("POST", `/t/${SLUG}/notes`, { ...subject, body: "" });
    expect(bad.status).toBe(422);
    expect((await call("GET", `/contacts/${contact.id}`)).updatedAt).toBe(last);
  });

  it("updatedSince takes only an ISO 8601 time with a zone, on every list that has it, and keeps updatedAt >= it", async () => {
    const lists = ["/contacts", "/companies", "/deals", "/tasks"];
    const contact = await call("POST", "/contacts", { firstName: "Since" });
    const noteList = `/notes?subjectType=contact&subjectId=${contact.id}`;
    for (const value of [
      "2026-12-01",
      "2026-12-01T10:00:00",
      "yesterday",
      "2026-02-30T10:00:00Z",
      "2026-12-01T25:00:00Z",
      "2026-12-01T10:00:00+25:00",
      "1796119200000",
      " 2026-12-01T10:00:00Z",
    ]) {
      for (const list of [...lists, noteList]) {
        const sep = list.includes("?") ? "&" : "?";
        const response = await owner(
          "GET",
          `/t/${SLUG}${list}${sep}updatedSince=${encodeURIComponent(value)}`,
        );
        expect(`${list} ${value} ${response.status}`).toBe(`${list} ${value} 400`);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
      }
    }
    await Bun.sleep(5);
    const since = new Date().toISOString();
    await Bun.sleep(5);
    const company = await call("POST", "/companies", { name: "Since Co" });
    await call("PATCH", `/contacts/${contact.id}`, { title: "Since" });
    const deal = await call("POST", "/deals", { title: "Since deal" });
    const task = await call("POST", "/tasks", { title: "Since task" });
    const note = await call("POST", "/notes", {
      subjectType: "contact",
      subjectId: contact.id,
      body: "since",
    });
    const expected: Record<string, number> = {
      "/contacts": contact.id,
      "/companies": company.id,
      "/deals": deal.id,
      "/tasks": task.id,
      [noteList]: note.id,
    };
    for (const [list, id] of Object.entries(expected)) {
      const sep = list.includes("?") ? "&" : "?";
      // The same instant written in another zone is the same filter.
      const inParis = new Date(Date.parse(since) + 3_600_000).toISOString().replace("Z", "+01:00");
      for (const at of [since, since.replace("Z", "+00:00"), inParis]) {
        const page = await call("GET", `${list}${sep}updatedSince=${encodeURIComponent(at)}`);
        expect({ list, ids: page.data.map((r: Json) => r.id) }).toEqual({ list, ids: [id] });
        for (const row of page.data) expect(row.updatedAt >= since).toBe(true);
      }
    }
  });

  it("sort=updatedAt&order=asc answers a cursor on its last page to poll with, which then finds only what changed", async () => {
    const tag = `poll-${Date.now().toString(36)}`;
    const a = await call("POST", "/contacts", { firstName: "Poll A", tags: [tag] });
    const b = await call("POST", "/contacts", { firstName: "Poll B", tags: [tag] });
    const list = `/contacts?tag=${tag}&sort=updatedAt&order=asc&limit=1`;
    const first = await call("GET", list);
    expect(first.data.map((r: Json) => r.id)).toEqual([a.id]);
    const last = await call("GET", `${list}&cursor=${encodeURIComponent(first.nextCursor)}`);
    expect(last.data.map((r: Json) => r.id)).toEqual([b.id]);
    expect(typeof last.nextCursor).toBe("string");
    const quiet = await call("GET", `${list}&cursor=${encodeURIComponent(last.nextCursor)}`);
    expect(quiet.data).toEqual([]);
    expect(quiet.nextCursor).toBe(last.nextCursor);
    await Bun.sleep(3);
    await call("PATCH", `/contacts/${a.id}`, { title: "Changed" });
    const news = await call("GET", `${list}&cursor=${encodeURIComponent(quiet.nextCursor)}`);
    expect(news.data.map((r: Json) => [r.id, r.title])).toEqual([[a.id, "Changed"]]);
    // Other sorts still end with null.
    const byName = await call("GET", `/contacts?tag=${tag}&sort=name&limit=5`);
    expect(byName.nextCursor).toBeNull();
    const newestFirst = await call("GET", `/contacts?tag=${tag}&sort=updatedAt&limit=5`);
    expect(newestFirst.nextCursor).toBeNull();
  });
});

describe("the notes list and /users", () => {
  it("pages a record's notes by cursor, newest first, past the 100 it used to stop at", async () => {
    const deal = await call("POST", "/deals", { title: "Many notes" });
    const made: number[] = [];
    for (let i = 0; i < 130; i++)
      made.push(
        (await call("POST", "/notes", { subjectType: "deal", subjectId: deal.id, body: `n${i}` })).id,
      );
    const base = `/notes?subjectType=deal&subjectId=${deal.id}`;
    const first = await call("GET", base);
    expect(first.data).toHaveLength(100);
    expect(typeof first.nextCursor).toBe("string");
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Json = await call("GET", `${base}&limit=50${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.data.map((n: Json) => n.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...made].reverse());
    for (const query of ["cursor=abc", "cursor=0", "limit=201", "limit=0"]) {
      const response = await owner("GET", `/t/${SLUG}${base}&${query}`);
      expect(`${query} ${response.status}`).toBe(`${query} 400`);
    }
  });

  it("/users lists who owners and assignees are (id, name, email, role) and nothing secret; /users/<id> one of them", async () => {
    await data.user(SLUG, "member@feed.test", "member");
    const response = await owner("GET", `/t/${SLUG}/users`);
    expect(response.status).toBe(200);
    expect(response.json.nextCursor).toBeNull();
    const emails = response.json.data.map((u: Json) => u.email).sort();
    expect(emails).toEqual(["member@feed.test", `owner@${SLUG}.test`]);
    for (const user of response.json.data)
      expect(Object.keys(user).sort()).toEqual(["email", "id", "name", "role"]);
    expect(response.text).not.toMatch(/argon2|password|hash|session|token/i);
    const member = response.json.data.find((u: Json) => u.email === "member@feed.test");
    const one = await owner("GET", `/t/${SLUG}/users/${member.id}`);
    expect(one.json).toEqual(member);
    expect((await readOnly("GET", `/t/${SLUG}/users/${member.id}`)).status).toBe(200);
    for (const id of ["999999", "abc", "0"])
      expect((await owner("GET", `/t/${SLUG}/users/${id}`)).status).toBe(404);
    // Another workspace's user is not here.
    const otherUsers = await api(server.url, await data.apiKey(OTHER, "owner"))("GET", `/t/${OTHER}/users`);
    const stranger = otherUsers.json.data[0];
    const asked = await owner("GET", `/t/${SLUG}/users/${stranger.id}`);
    if (stranger.id !== member.id && !response.json.data.some((u: Json) => u.id === stranger.id))
      expect(asked.status).toBe(404);
    expect(asked.text).not.toContain(`owner@${OTHER}.test`);
    expect((await owner("GET", `/t/${SLUG}/users?limit=5`)).status).toBe(400);
    for (const method of ["POST", "PATCH", "DELETE"]) {
      const write = await owner(method, `/t/${SLUG}/users${method === "POST" ? "" : `/${member.id}`}`, {});
      expect(`${method} ${write.status}`).toMatch(/ 40[45]$/);
    }
  });
});
