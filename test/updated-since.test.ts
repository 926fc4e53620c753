import { describe, expect, it } from "bun:test";
import { type Json, type SyncWorkspace, suiteWorkspace } from "./support/sync-workspace.ts";
import { signIn } from "./support/workspace.ts";

/**
 * What touches a record's updatedAt (notes, tasks, activities, deletions of what it names),
 * `updatedSince` on every list that has it, and the resumable `sort=updatedAt&order=asc`
 * cursor. Through the real server.
 */

const SLUG = "since-home";
const OTHER = "since-other";

const ws = suiteWorkspace(SLUG, OTHER);
const owner: SyncWorkspace["owner"] = (...args) => ws.owner(...args);
const call: SyncWorkspace["call"] = (...args) => ws.call(...args);

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
    const admin = await signIn(ws.server.url, SLUG, `owner@${SLUG}.test`);
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

  it("deleting a company or a contact touches the records and tasks that named it, so updatedSince finds them", async () => {
    const company = await call("POST", "/companies", { name: "Going Co" });
    const person = await call("POST", "/contacts", { firstName: "Going", companyId: company.id });
    const stays = await call("POST", "/contacts", { firstName: "Staying" });
    const deal = await call("POST", "/deals", {
      title: "Named",
      companyId: company.id,
      contactIds: [person.id, stays.id],
    });
    const task = await call("POST", "/tasks", {
      title: "About the person",
      subjectType: "contact",
      subjectId: person.id,
    });
    await Bun.sleep(5);
    const since = new Date().toISOString();
    await Bun.sleep(5);
    await call("DELETE", `/companies/${company.id}`);
    const changed = async (list: string) =>
      (await call("GET", `${list}?updatedSince=${encodeURIComponent(since)}`)).data.map((r: Json) => r.id);
    expect(await changed("/contacts")).toEqual([person.id]);
    expect(await changed("/deals")).toEqual([deal.id]);
    expect((await call("GET", `/deals/${deal.id}`)).companyId).toBeNull();
    await call("DELETE", `/contacts/${person.id}`);
    const after = await call("GET", `/deals/${deal.id}`);
    expect(after.contactIds).toEqual([stays.id]);
    expect(await changed("/tasks")).toEqual([task.id]);
    expect((await call("GET", `/tasks/${task.id}`)).subjectId).toBeNull();
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
    // Nothing new: no rows and a null cursor, so a client paging while there is one stops; it
    // polls later with the cursor it sent.
    const quiet = await call("GET", `${list}&cursor=${encodeURIComponent(last.nextCursor)}`);
    expect(quiet.data).toEqual([]);
    expect(quiet.nextCursor).toBeNull();
    await Bun.sleep(3);
    await call("PATCH", `/contacts/${a.id}`, { title: "Changed" });
    const news = await call("GET", `${list}&cursor=${encodeURIComponent(last.nextCursor)}`);
    expect(news.data.map((r: Json) => [r.id, r.title])).toEqual([[a.id, "Changed"]]);
    // Other sorts still end with null.
    const byName = await call("GET", `/contacts?tag=${tag}&sort=name&limit=5`);
    expect(byName.nextCursor).toBeNull();
    const newestFirst = await call("GET", `/contacts?tag=${tag}&sort=updatedAt&limit=5`);
    expect(newestFirst.nextCursor).toBeNull();
  });
});
