import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * Optimistic concurrency on the JSON API: every record GET carries a strong ETag, PATCH and
 * DELETE honour If-Match (412 and nothing written on a stale tag), and two clients holding
 * the same tag cannot both win.
 */

const HOME = "etag-home";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: ReturnType<typeof api>;
let ownerKey = "";
const keyHeader = async () => `Bearer ${ownerKey}`;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

async function created(path: string, body: object): Promise<Json> {
  const response = await owner("POST", `/t/${HOME}${path}`, body);
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return response.json;
}

/** One item route of each kind: where it lives, and a change that alters what it answers. */
interface Kind {
  name: string;
  path: string;
  change(n: number): object;
}

const kinds: Kind[] = [];

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  ownerKey = await data.apiKey(HOME, "owner");
  owner = api(server.url, ownerKey);
  const contact = await created("/contacts", { firstName: "Ada" });
  const company = await created("/companies", { name: "Initech" });
  const pipelines = (await owner("GET", `/t/${HOME}/pipelines`)).json.data;
  const deal = await created("/deals", {
    title: "Big one",
    pipelineId: pipelines[0].id,
    stageId: pipelines[0].stages[0].id,
  });
  const task = await created("/tasks", { title: "Call Ada" });
  const note = await created("/notes", { subjectType: "contact", subjectId: contact.id, body: "Met" });
  const pipeline = await created("/pipelines", { name: "Renewals" });
  const field = await created("/custom-fields", {
    entity: "contact",
    key: "tier",
    label: "Tier",
    type: "text",
  });
  const segment = await created("/segments", {
    name: "Named",
    rules: [{ field: "firstName", op: "is_not_empty" }],
  });
  kinds.push(
    { name: "contact", path: `/contacts/${contact.id}`, change: (n) => ({ lastName: `L${n}` }) },
    { name: "company", path: `/companies/${company.id}`, change: (n) => ({ name: `Initech ${n}` }) },
    { name: "deal", path: `/deals/${deal.id}`, change: (n) => ({ title: `Big ${n}` }) },
    { name: "task", path: `/tasks/${task.id}`, change: (n) => ({ title: `Call ${n}` }) },
    { name: "note", path: `/notes/${note.id}`, change: (n) => ({ body: `Met ${n}` }) },
    { name: "pipeline", path: `/pipelines/${pipeline.id}`, change: (n) => ({ name: `Renewals ${n}` }) },
    { name: "custom field", path: `/custom-fields/${field.id}`, change: (n) => ({ label: `Tier ${n}` }) },
    { name: "segment", path: `/segments/${segment.id}`, change: (n) => ({ name: `Named ${n}` }) },
  );
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  owner("GET", `/t/${HOME}${path}`, undefined, headers);

describe("ETag and If-Match on every record", () => {
  it("GET answers a strong ETag, the same while nothing changes, and 304 to If-None-Match", async () => {
    for (const kind of kinds) {
      const first = await get(kind.path);
      const tag = first.headers.get("etag") ?? "";
      expect(`${kind.name} ${tag}`).toMatch(/ "[A-Za-z0-9_-]{22}"$/);
      expect((await get(kind.path)).headers.get("etag")).toBe(tag);
      const notModified = await get(kind.path, { "if-none-match": `"other", ${tag}` });
      expect(`${kind.name} ${notModified.status} ${notModified.text}`).toBe(`${kind.name} 304 `);
      expect(notModified.headers.get("etag")).toBe(tag);
      expect((await get(kind.path, { "if-none-match": `W/${tag}` })).status).toBe(304);
      expect((await get(kind.path, { "if-none-match": '"other"' })).status).toBe(200);
    }
  });

  it("PATCH with the current tag writes and answers the new ETag, the one GET then answers", async () => {
    for (const kind of kinds) {
      const tag = (await get(kind.path)).headers.get("etag") ?? "";
      const patched = await owner("PATCH", `/t/${HOME}${kind.path}`, kind.change(1), { "if-match": tag });
      expect(`${kind.name} ${patched.status}`).toBe(`${kind.name} 200`);
      const newTag = patched.headers.get("etag");
      expect(newTag).not.toBe(tag);
      expect((await get(kind.path)).headers.get("etag")).toBe(newTag);
    }
  });

  it("a stale If-Match is a 412 problem and writes nothing; `*` and no If-Match write", async () => {
    for (const kind of kinds) {
      const before = await get(kind.path);
      const stale = before.headers.get("etag") ?? "";
      expect((await owner("PATCH", `/t/${HOME}${kind.path}`, kind.change(2))).status).toBe(200);
      const after = await get(kind.path);
      const refused = await owner("PATCH", `/t/${HOME}${kind.path}`, kind.change(3), { "if-match": stale });
      expect(`${kind.name} ${refused.status}`).toBe(`${kind.name} 412`);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(refused.json).toMatchObject({
        type: "/api/v1/problems/precondition-failed",
        status: 412,
        title: "Precondition Failed",
      });
      // A weak tag never matches If-Match's strong comparison, nor does a malformed one.
      for (const header of [`W/${after.headers.get("etag")}`, "garbage"])
        expect(
          (await owner("PATCH", `/t/${HOME}${kind.path}`, kind.change(3), { "if-match": header })).status,
        ).toBe(412);
      expect((await get(kind.path)).text).toBe(after.text);
      const deleted = await owner("DELETE", `/t/${HOME}${kind.path}`, undefined, { "if-match": stale });
      expect(`${kind.name} delete ${deleted.status}`).toBe(`${kind.name} delete 412`);
      expect((await get(kind.path)).text).toBe(after.text);
      const star = await owner("PATCH", `/t/${HOME}${kind.path}`, kind.change(4), { "if-match": "*" });
      expect(`${kind.name} * ${star.status}`).toBe(`${kind.name} * 200`);
    }
  });

  it("a stale If-Match is a 412 before a bad body is a 422, on every kind", async () => {
    const bad: Record<string, object> = {
      contact: { email: "not an email" },
      company: { name: "" },
      deal: { title: "" },
      task: { title: "" },
      note: { body: "" },
      pipeline: { name: "" },
      "custom field": { label: "" },
      segment: { name: "" },
    };
    for (const kind of kinds) {
      const before = await get(kind.path);
      const stale = await owner("PATCH", `/t/${HOME}${kind.path}`, bad[kind.name] ?? {}, {
        "if-match": '"stale"',
      });
      expect(`${kind.name} ${stale.status}`).toBe(`${kind.name} 412`);
      const current = before.headers.get("etag") ?? "";
      const invalid = await owner("PATCH", `/t/${HOME}${kind.path}`, bad[kind.name] ?? {}, {
        "if-match": current,
      });
      expect(`${kind.name} ${invalid.status}`).toBe(`${kind.name} 422`);
      expect((await get(kind.path)).text).toBe(before.text);
    }
  });

  it("two concurrent PATCHes with the same tag: one 200, one 412, and the winner's change stays", async () => {
    for (const kind of kinds) {
      const tag = (await get(kind.path)).headers.get("etag") ?? "";
      const answers = await Promise.all(
        [10, 11].map((n) => owner("PATCH", `/t/${HOME}${kind.path}`, kind.change(n), { "if-match": tag })),
      );
      expect(`${kind.name} ${answers.map((a) => a.status).sort()}`).toBe(`${kind.name} 200,412`);
      const winner = answers.find((a) => a.status === 200);
      expect((await get(kind.path)).text).toBe(winner?.text ?? "");
    }
  });

  it("a stage's PATCH is checked against its pipeline's tag (a pipeline answers its stages)", async () => {
    const pipeline = await created("/pipelines", { name: "Stages checked" });
    const path = `/pipelines/${pipeline.id}`;
    const stage = pipeline.stages[0].id;
    const tag = (await get(path)).headers.get("etag") ?? "";
    const moved = await owner(
      "PATCH",
      `/t/${HOME}/stages/${stage}`,
      { probability: 20 },
      { "if-match": tag },
    );
    expect(moved.status).toBe(200);
    expect(moved.headers.get("etag")).toBe((await get(path)).headers.get("etag"));
    const stale = await owner(
      "PATCH",
      `/t/${HOME}/stages/${stage}`,
      { probability: 30 },
      { "if-match": tag },
    );
    expect(stale.status).toBe(412);
    expect((await get(path)).json.stages[0].probability).toBe(20);
  });

  it("a write through another connection (a bulk change, run by the worker pool) makes the tag stale", async () => {
    const contact = await created("/contacts", { firstName: "Bulk" });
    const path = `/contacts/${contact.id}`;
    const tag = (await get(path)).headers.get("etag") ?? "";
    const bulk = await owner("POST", `/t/${HOME}/contacts/bulk`, {
      ids: [contact.id],
      action: "addTag",
      tag: "vip",
    });
    expect(bulk.status).toBe(200);
    expect((await get(path)).headers.get("etag")).not.toBe(tag);
    const refused = await owner("PATCH", `/t/${HOME}${path}`, { lastName: "Late" }, { "if-match": tag });
    expect(refused.status).toBe(412);
    expect((await get(path)).json).toMatchObject({ lastName: "", tags: ["vip"] });
  });

  it("a PATCH that changes nothing keeps the tag; a list of tags matches if one is current; HEAD answers it", async () => {
    // A contact's PATCH writes nothing when nothing changes (a task's or note's moves updatedAt, so its tag).
    const contact = await created("/contacts", { firstName: "Same" });
    const path = `/contacts/${contact.id}`;
    const tag = (await get(path)).headers.get("etag") ?? "";
    const same = await owner(
      "PATCH",
      `/t/${HOME}${path}`,
      { firstName: "Same" },
      { "if-match": `"stale", ${tag}` },
    );
    expect(same.status).toBe(200);
    expect(same.headers.get("etag")).toBe(tag);
    const head = await fetch(`${server.url}/api/v1/t/${HOME}${path}`, {
      method: "HEAD",
      headers: { authorization: await keyHeader() },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(tag);
  });

  it("DELETE with the current tag deletes; a missing record is 404 with or without If-Match", async () => {
    const task = await created("/tasks", { title: "Short-lived" });
    const tag = (await get(`/tasks/${task.id}`)).headers.get("etag") ?? "";
    expect(
      (await owner("DELETE", `/t/${HOME}/tasks/${task.id}`, undefined, { "if-match": tag })).status,
    ).toBe(204);
    expect((await get(`/tasks/${task.id}`)).status).toBe(404);
    expect(
      (await owner("DELETE", `/t/${HOME}/tasks/${task.id}`, undefined, { "if-match": "*" })).status,
    ).toBe(404);
    expect(
      (await owner("PATCH", `/t/${HOME}/tasks/${task.id}`, { title: "x" }, { "if-match": tag })).status,
    ).toBe(404);
  });
});
