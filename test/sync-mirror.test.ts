import { describe, expect, it } from "bun:test";
import { FeedMirror, RECORD_PATHS, type RecordKind } from "./support/feed-mirror.ts";
import { type Json, type SyncWorkspace, suiteWorkspace } from "./support/sync-workspace.ts";
import { api, signIn } from "./support/workspace.ts";

/**
 * Keeping another system in step (README): a local copy of a workspace, built and kept up to
 * date only through the changes feed, fetches by id and `updatedSince` on tasks, converges to
 * exactly what a full read of the workspace shows after creates, updates, deletes, a merge, an
 * erasure and changes to notes, tasks and activities, without reading everything again.
 */

const SLUG = "sync-home";
const OTHER = "sync-other";

const ws = suiteWorkspace(SLUG, OTHER);
const owner: SyncWorkspace["owner"] = (...args) => ws.owner(...args);

async function created(path: string, body: object): Promise<Json> {
  const response = await owner("POST", `/t/${SLUG}${path}`, body);
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return response.json;
}

async function ok(method: string, path: string, body?: object): Promise<Json> {
  const response = await owner(method, `/t/${SLUG}${path}`, body);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.json;
}

/** Every page of a list, following nextCursor. */
async function readAll(path: string): Promise<Json[]> {
  const rows: Json[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page: Json = await ok(
      "GET",
      `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

/** The whole workspace as the API shows it: every record by id, every note of every record, every task. */
async function fullRead() {
  const records = {} as Record<RecordKind, Map<string, Json>>;
  const notes = new Map<string, Json>();
  for (const kind of Object.keys(RECORD_PATHS) as RecordKind[]) {
    records[kind] = new Map();
    for (const row of await readAll(`/${RECORD_PATHS[kind]}`)) {
      records[kind].set(String(row.id), await ok("GET", `/${RECORD_PATHS[kind]}/${row.id}`));
      for (const note of await readAll(`/notes?subjectType=${kind}&subjectId=${row.id}`))
        notes.set(String(note.id), note);
    }
  }
  const tasks = new Map((await readAll("/tasks")).map((t) => [String(t.id), t]));
  return { records, notes, tasks };
}

const sorted = (map: Map<string, Json>) => [...map.entries()].sort(([a], [b]) => Number(a) - Number(b));

async function expectConverged(mirror: FeedMirror) {
  const truth = await fullRead();
  for (const kind of Object.keys(RECORD_PATHS) as RecordKind[])
    expect({ kind, rows: sorted(mirror.records[kind]) }).toEqual({ kind, rows: sorted(truth.records[kind]) });
  expect(sorted(mirror.notes)).toEqual(sorted(truth.notes));
  expect(sorted(mirror.tasks)).toEqual(sorted(truth.tasks));
  return truth;
}

describe("a mirror kept by the changes feed", () => {
  it("converges to a full read after every kind of change, reading only what changed", async () => {
    // A workspace with some history: companies, people at them, deals with people, notes, tasks, a call.
    const companies: Json[] = [];
    for (let i = 0; i < 3; i++) companies.push(await created("/companies", { name: `Sync Co ${i}` }));
    const people: Json[] = [];
    for (let i = 0; i < 40; i++) {
      const companyId = i < 12 ? companies[i % 3].id : undefined;
      people.push(
        await created("/contacts", {
          firstName: `Person${i}`,
          lastName: "Sync",
          email: `p${i}@sync.test`,
          companyId,
        }),
      );
    }
    const deals: Json[] = [];
    for (let i = 0; i < 6; i++)
      deals.push(
        await created("/deals", {
          title: `Sync deal ${i}`,
          companyId: companies[i % 3].id,
          contactIds: [people[i].id, people[i + 1].id],
        }),
      );
    const notes: Json[] = [];
    for (let i = 0; i < 8; i++)
      notes.push(
        await created("/notes", { subjectType: "contact", subjectId: people[i].id, body: `Note ${i}` }),
      );
    const tasks: Json[] = [];
    for (let i = 0; i < 6; i++)
      tasks.push(
        await created("/tasks", { title: `Task ${i}`, subjectType: "contact", subjectId: people[i].id }),
      );
    tasks.push(await created("/tasks", { title: "About nothing" }));
    await created("/interactions", {
      kind: "call",
      subjectType: "contact",
      subjectId: people[0].id,
      summary: "Hi",
    });

    const mirror = new FeedMirror(owner, SLUG, 50);
    await mirror.sync();
    await expectConverged(mirror);
    expect(mirror.records.contact.size).toBe(40);

    // Nothing new: one read of the feed (answering the same cursor) and one of the tasks.
    const cursor = mirror.cursor;
    let before = mirror.requests;
    await mirror.sync();
    expect(mirror.requests - before).toBe(2);
    expect(mirror.cursor).toBe(cursor);

    // Every kind of change, through the API and the pages.
    const newCompany = await created("/companies", { name: "Sync Co new" });
    const newPerson = await created("/contacts", {
      firstName: "New",
      lastName: "Person",
      companyId: newCompany.id,
    });
    await created("/deals", { title: "Sync deal new", contactIds: [newPerson.id] });
    await ok("PATCH", `/contacts/${people[20].id}`, { title: "Chief", email: "chief@sync.test" });
    const pipeline = (await ok("GET", "/pipelines")).data.find((p: Json) => p.name === "Sales");
    const won = pipeline.stages.find((s: Json) => s.name === "Won").id;
    await ok("PATCH", `/deals/${deals[5].id}`, { stageId: won });
    await ok("DELETE", `/companies/${companies[0].id}`); // its people and deals 0 and 3 lose it
    await ok("DELETE", `/contacts/${people[2].id}`); // on deals 1 and 2, with a note and a task
    await ok("POST", `/contacts/${people[3].id}/merge`, { duplicateId: people[4].id }); // 4's note, task, deals move to 3
    await created("/notes", { subjectType: "deal", subjectId: deals[0].id, body: "About the deal" });
    await ok("PATCH", `/notes/${notes[0].id}`, { body: "Note 0, corrected" });
    await ok("DELETE", `/notes/${notes[1].id}`);
    await created("/tasks", { title: "New task", subjectType: "contact", subjectId: people[30].id });
    await ok("PATCH", `/tasks/${tasks[0].id}`, { completed: true });
    await ok("DELETE", `/tasks/${tasks[6].id}`);
    await created("/interactions", {
      kind: "meeting",
      subjectType: "contact",
      subjectId: people[31].id,
      summary: "Met",
    });
    // An erasure (an admin's, on the page): person 5 with a note, a task and deals 4 and 5.
    const admin = await signIn(ws.server.url, SLUG, `owner@${SLUG}.test`);
    await admin.get(`/t/${SLUG}/privacy/contacts/${people[5].id}/erasure`);
    expect((await admin.post(`/t/${SLUG}/privacy/contacts/${people[5].id}/erasure`, {})).status).toBe(303);
    await ws.server.waitForLine((l) => l.msg === "person erased" && l.contactId === people[5].id);

    before = mirror.requests;
    await mirror.sync();
    const used = mirror.requests - before;
    const truth = await expectConverged(mirror);
    expect(truth.records.contact.has(String(people[4].id))).toBe(false);
    expect(truth.records.contact.has(String(people[5].id))).toBe(false);
    expect(truth.records.company.has(String(companies[0].id))).toBe(false);
    // What changed and what named it, fetched once each, plus a feed page or two and the tasks:
    // far fewer than the ~50 records, 10 notes and 8 tasks a full read fetches one by one.
    expect(used).toBeLessThanOrEqual(30);
    expect(used).toBeLessThan(truth.records.contact.size);
  });

  it("another workspace's key reads nothing of this one, and its own feed holds none of this one's entries", async () => {
    const other = api(ws.server.url, await ws.data.apiKey(OTHER, "owner"));
    const refused = await other("GET", `/t/${SLUG}/changes`);
    expect(refused.status).toBe(401);
    expect(refused.text).not.toContain("contact.created");
    const own = await other("GET", `/t/${OTHER}/changes?limit=1000`);
    expect(own.status).toBe(200);
    expect(own.json.data).toEqual([]);
    expect(typeof own.json.nextCursor).toBe("string");
  });
});
