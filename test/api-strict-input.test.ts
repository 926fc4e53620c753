import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * Strict, consistent input on the JSON API (the fuzz cases of issue 12 as regressions): number
 * fields take JSON numbers only, single-line labels refuse control characters, every route
 * has one rule for unknown and repeated query parameters, and a wrong method is a 405.
 */

const HOME = "strict-home";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: ReturnType<typeof api>;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;
let pipeline: Json;
let contact: Json;

const fields = (response: { json: Json }) =>
  ((response.json?.errors ?? []) as { field: string }[]).map((e) => e.field);

async function created(path: string, body: object): Promise<Json> {
  const response = await owner("POST", `/t/${HOME}${path}`, body);
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return response.json;
}

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  owner = api(server.url, await data.apiKey(HOME, "owner"));
  pipeline = await created("/pipelines", { name: "Strict" });
  contact = await created("/contacts", { firstName: "Ada" });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

/** Everything issue 12's fuzzing saw coerced by JavaScript's Number(): each must be a 422 now. */
const NOT_NUMBERS = (id: number): [string, unknown][] => [
  ["null", null],
  ["empty string", ""],
  ["false", false],
  ["[[]]", [[]]],
  ["true", true],
  ['"0x10"', "0x10"],
  ['"16"', "16"],
  ['["<id>"]', [String(id)]],
  ["[<id>]", [id]],
  ["{}", {}],
  ["1.5", 1.5],
];

describe("number fields take JSON numbers only", () => {
  it("a stage's probability (add and PATCH) and position (PATCH): 422 naming it, nothing written", async () => {
    const stage = pipeline.stages[0];
    const before = (await owner("GET", `/t/${HOME}/pipelines/${pipeline.id}`)).text;
    for (const [label, value] of NOT_NUMBERS(stage.id)) {
      const added = await owner("POST", `/t/${HOME}/pipelines/${pipeline.id}/stages`, {
        name: "Odd",
        probability: value,
      });
      expect(`add probability ${label} ${added.status} ${fields(added)}`).toBe(
        `add probability ${label} 422 probability`,
      );
      for (const field of ["probability", "position"]) {
        const patched = await owner("PATCH", `/t/${HOME}/stages/${stage.id}`, { [field]: value });
        expect(`${field} ${label} ${patched.status} ${fields(patched)}`).toBe(
          `${field} ${label} 422 ${field}`,
        );
      }
    }
    expect((await owner("GET", `/t/${HOME}/pipelines/${pipeline.id}`)).text).toBe(before);
    const fine = await owner("PATCH", `/t/${HOME}/stages/${stage.id}`, { probability: 15, position: 0 });
    expect(fine.status).toBe(200);
  });

  it("subjectId on notes and interactions: 422 naming it, nothing written", async () => {
    for (const [label, value] of NOT_NUMBERS(contact.id)) {
      const note = await owner("POST", `/t/${HOME}/notes`, {
        subjectType: "contact",
        subjectId: value,
        body: "x",
      });
      expect(`note ${label} ${note.status} ${fields(note)}`).toBe(`note ${label} 422 subjectId`);
      const call = await owner("POST", `/t/${HOME}/interactions`, {
        kind: "call",
        subjectType: "contact",
        subjectId: value,
        summary: "x",
      });
      expect(`interaction ${label} ${call.status} ${fields(call)}`).toBe(
        `interaction ${label} 422 subjectId`,
      );
    }
    const notes = await owner("GET", `/t/${HOME}/notes?subjectType=contact&subjectId=${contact.id}`);
    expect(notes.json.data).toEqual([]);
    const timeline = await owner(
      "GET",
      `/t/${HOME}/interactions?subjectType=contact&subjectId=${contact.id}`,
    );
    expect(timeline.json.data.filter((e: Json) => e.kind === "call")).toEqual([]);
    // A number is still taken; the lists still read digits from their query strings.
    await created("/notes", { subjectType: "contact", subjectId: contact.id, body: "fine" });
  });

  it("bulk changes take JSON numbers for ids, ownerId and stageId", async () => {
    for (const body of [
      { ids: [String(contact.id)], action: "addTag", tag: "vip" },
      { ids: [contact.id], action: "setOwner", ownerId: "1" },
      { ids: [true], action: "addTag", tag: "vip" },
    ]) {
      const response = await owner("POST", `/t/${HOME}/contacts/bulk`, body);
      expect(`${JSON.stringify(body)} ${response.status}`).toBe(`${JSON.stringify(body)} 422`);
    }
    expect((await owner("GET", `/t/${HOME}/contacts/${contact.id}`)).json.tags).toEqual([]);
  });
});

/** Control characters a single-line label must refuse: C0 (tab and line breaks too), DEL, C1. */
const CONTROLS = ["\u0000", "\u0007", "\t", "\n", "\r", "\u001b[31m", "\u001f", "\u007f", "\u0085"];

describe("single-line labels refuse control characters", () => {
  it("422 naming the field, for names and labels of every kind, also at either end", async () => {
    const deal = pipeline.stages[0];
    const field = await created("/custom-fields", {
      entity: "contact",
      key: "tier",
      label: "Tier",
      type: "text",
    });
    const segment = await created("/segments", {
      name: "S",
      rules: [{ field: "firstName", op: "is_not_empty" }],
    });
    const task = await created("/tasks", { title: "T" });
    const cases: [string, string, string, (bad: string) => object][] = [
      ["POST", "/pipelines", "name", (bad) => ({ name: bad })],
      ["PATCH", `/pipelines/${pipeline.id}`, "name", (bad) => ({ name: bad })],
      ["POST", `/pipelines/${pipeline.id}/stages`, "name", (bad) => ({ name: bad, probability: 5 })],
      ["PATCH", `/stages/${deal.id}`, "name", (bad) => ({ name: bad })],
      ["POST", "/custom-fields", "label", (bad) => ({ entity: "deal", key: "k", label: bad, type: "text" })],
      ["PATCH", `/custom-fields/${field.id}`, "label", (bad) => ({ label: bad })],
      ["POST", "/segments", "name", (bad) => ({ name: bad })],
      ["PATCH", `/segments/${segment.id}`, "name", (bad) => ({ name: bad })],
      ["POST", "/contacts", "firstName", (bad) => ({ firstName: bad })],
      ["PATCH", `/contacts/${contact.id}`, "lastName", (bad) => ({ lastName: bad })],
      ["POST", "/companies", "name", (bad) => ({ name: bad })],
      ["POST", "/tasks", "title", (bad) => ({ title: bad })],
      ["PATCH", `/tasks/${task.id}`, "title", (bad) => ({ title: bad })],
    ];
    for (const [method, path, name, body] of cases) {
      for (const control of CONTROLS) {
        for (const bad of [`A${control}B`, `${control}AB`, `AB${control}`]) {
          const response = await owner(method, `/t/${HOME}${path}`, body(bad));
          const label = `${method} ${path} ${JSON.stringify(bad)}`;
          expect(`${label} ${response.status} ${fields(response)}`).toBe(`${label} 422 ${name}`);
        }
      }
    }
    expect((await owner("GET", `/t/${HOME}/pipelines`)).json.data.map((p: Json) => p.name).sort()).toEqual([
      "Sales",
      "Strict",
    ]);
  });

  it("a note's body keeps tabs and line breaks, and still refuses other controls", async () => {
    const kept = await created("/notes", {
      subjectType: "contact",
      subjectId: contact.id,
      body: "a\tb\nc\r\nd",
    });
    expect(kept.body).toBe("a\tb\nc\r\nd");
    for (const control of ["\u0000", "\u001b", "\u007f"]) {
      const refused = await owner("POST", `/t/${HOME}/notes`, {
        subjectType: "contact",
        subjectId: contact.id,
        body: `x${control}y`,
      });
      expect(fields(refused)).toEqual(["body"]);
    }
  });
});

describe("one rule for query parameters on every route", () => {
  it("an unknown parameter is a 400 naming it, on item routes as on lists and writes", async () => {
    const task = await created("/tasks", { title: "Params" });
    for (const [method, path] of [
      ["GET", `/contacts/${contact.id}`],
      ["GET", `/tasks/${task.id}`],
      ["GET", `/pipelines/${pipeline.id}`],
      ["PATCH", `/tasks/${task.id}`],
      ["DELETE", `/tasks/${task.id}`],
      ["POST", "/tasks"],
      ["GET", "/contacts"],
      ["GET", "/tasks"],
      ["GET", "/segments"],
      ["GET", "/pipelines"],
      ["GET", "/reports/pipeline"],
    ] as const) {
      const response = await owner(method, `/t/${HOME}${path}?bogus=1`, method === "GET" ? undefined : {});
      expect(`${method} ${path} ${response.status} ${fields(response)}`).toBe(`${method} ${path} 400 bogus`);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    expect((await owner("GET", `/t/${HOME}/tasks/${task.id}`)).json.title).toBe("Params");
    const document = await owner("GET", "/openapi.json?bogus=1");
    expect(`${document.status} ${fields(document)}`).toBe("400 bogus");
  });

  it("a whole number in a query string is decimal digits: 0x10, 1e1, a space or a sign is a 400 naming it", async () => {
    for (const [path, name] of [
      ["/contacts?limit=0x10", "limit"],
      ["/contacts?limit=1e1", "limit"],
      ["/contacts?limit=%205", "limit"],
      ["/contacts?limit=%2B5", "limit"],
      ["/tasks?assigneeId=0x1", "assigneeId"],
      ["/search?q=a&limit=0x10", "limit"],
      [`/notes?subjectType=contact&subjectId=0x${contact.id.toString(16)}`, "subjectId"],
      [`/interactions?subjectType=contact&subjectId=${contact.id}&cursor=1e3`, "cursor"],
    ] as const) {
      const response = await owner("GET", `/t/${HOME}${path}`);
      expect(`${path} ${response.status} ${fields(response)}`).toBe(`${path} 400 ${name}`);
    }
    expect((await owner("GET", `/t/${HOME}/contacts?limit=16`)).status).toBe(200);
  });

  it("a repeated parameter is a 400 naming it, known or not, on every route", async () => {
    for (const path of [
      `/contacts?limit=1&limit=2`,
      `/contacts?sort=name&sort=name`,
      `/tasks?completed=true&completed=false`,
      `/notes?subjectType=contact&subjectId=${contact.id}&subjectId=${contact.id}`,
      `/contacts/${contact.id}?x=1&x=2`,
    ]) {
      const response = await owner("GET", `/t/${HOME}${path}`);
      const name = new URL(`http://x${path}`).searchParams;
      const repeated = [...name.keys()].find((k, i, all) => all.indexOf(k) !== i);
      expect(`${path} ${response.status} ${fields(response)}`).toBe(`${path} 400 ${repeated}`);
    }
  });
});

describe("a wrong method on an API path", () => {
  it("is a 405 problem with Allow listing the path's methods; an unknown path stays 404", async () => {
    for (const [method, path, allow] of [
      ["PUT", `/contacts/${contact.id}`, "DELETE, GET, HEAD, PATCH"],
      ["POST", `/contacts/${contact.id}`, "DELETE, GET, HEAD, PATCH"],
      ["DELETE", "/contacts", "GET, HEAD, POST"],
      ["PUT", "/deals/1", "DELETE, GET, HEAD, PATCH"],
      ["POST", "/search", "GET, HEAD"],
      ["GET", `/stages/${pipeline.stages[0].id}`, "DELETE, PATCH"],
      ["GET", "/events", "POST"],
    ] as const) {
      const response = await owner(method, `/t/${HOME}${path}`, method === "GET" ? undefined : {});
      expect(`${method} ${path} ${response.status} ${response.headers.get("allow")}`).toBe(
        `${method} ${path} 405 ${allow}`,
      );
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.json).toMatchObject({ status: 405, title: "Method Not Allowed" });
    }
    for (const path of ["/stages", "/interactions/1", "/nothing-here"]) {
      expect((await owner("GET", `/t/${HOME}${path}`)).status).toBe(404);
    }
  });
});
