import { describe, expect, it } from "bun:test";
import { type Json, type SyncWorkspace, suiteWorkspace } from "./support/sync-workspace.ts";
import { api } from "./support/workspace.ts";

/**
 * The notes list's cursor (it used to stop at 100) and the read-only /users. Through the real
 * server.
 */

const SLUG = "notes-home";
const OTHER = "notes-other";

const ws = suiteWorkspace(SLUG, OTHER);
const owner: SyncWorkspace["owner"] = (...args) => ws.owner(...args);
const readOnly: SyncWorkspace["readOnly"] = (...args) => ws.readOnly(...args);
const call: SyncWorkspace["call"] = (...args) => ws.call(...args);

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
    await ws.data.user(SLUG, "member@feed.test", "member");
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
    const otherUsers = await api(ws.server.url, await ws.data.apiKey(OTHER, "owner"))(
      "GET",
      `/t/${OTHER}/users`,
    );
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
