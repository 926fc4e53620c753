import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { inspectRoutes } from "hono/dev";
import { createApp } from "../src/app/create-app.ts";
import { createDeps } from "../src/app/start-server.ts";
import { BULK_KINDS } from "../src/bulk/bulk-kinds.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import { EVENTS_MAX_BYTES } from "../src/events/event-limits.ts";
import { refusalProbes } from "./support/refusal-probes.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * The JSON API beyond contacts and companies (deals, pipelines and stages, interactions,
 * tasks, notes, search), end to end through the real server, and the OpenAPI document
 * checked against what the server really answers.
 */

const HOME = "crm-home";
const OTHER = "crm-other";
const SOLO = "crm-solo";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
type Call = ReturnType<typeof api>;
let owner: Call;
let admin: Call;
let member: Call;
let readOnly: Call;
let otherOwner: Call;
let soloOwner: Call;

// biome-ignore lint/suspicious/noExplicitAny: the served document is walked generically
type Json = any;
let doc: Json;

const fields = (response: { json: Json }) =>
  ((response.json?.errors ?? []) as { field: string }[]).map((e) => e.field);

/** Sales, the pipeline every workspace starts with: Lead, Qualified, Proposal, Negotiation, Won, Lost. */
async function salesPipeline(call: Call = owner, slug = HOME) {
  const response = await call("GET", `/t/${slug}/pipelines`);
  expect(response.status).toBe(200);
  const sales = response.json.data.find((p: { name: string }) => p.name === "Sales");
  expect(sales).toBeDefined();
  const stage = (name: string) => sales.stages.find((s: { name: string }) => s.name === name).id as number;
  return { id: sales.id as number, lead: stage("Lead"), won: stage("Won"), lost: stage("Lost"), sales };
}

let uniqueCounter = 0;
const unique = (prefix: string) => `${prefix} ${Date.now().toString(36)}${++uniqueCounter}`;

async function created(call: Call, path: string, body: object): Promise<Json> {
  const response = await call("POST", path, body);
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return response.json;
}

/** Where the document's component schemas live for the validator: `#/components/schemas/X` refers here. */
const COMPONENTS_ID = "https://crm.test/openapi/components";
/** What README promises for timestamps: ISO 8601 in UTC, as `Date.prototype.toISOString` writes them. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
let ajv: Ajv2020;
const validators = new Map<string, ValidateFunction>();

/**
 * A schema of the document as answers are checked against it: its `$ref`s point at the
 * components registered with the validator, and an object schema that names its properties
 * admits no others (an answer carrying an undocumented field is a mismatch, not an extension).
 */
function answerSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(answerSchema);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as Json).map(([name, s]) => [name, answerSchema(s)]))
        : key === "enum" || key === "required" || key === "default"
          ? value
          : answerSchema(value);
  }
  if (typeof out.$ref === "string")
    out.$ref = out.$ref.replace("#/components/schemas/", `${COMPONENTS_ID}#/$defs/`);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) over the served document, strict about the schemas themselves. */
function createValidator(document: Json): Ajv2020 {
  const validator = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(validator);
  validator.addFormat("date-time", {
    type: "string",
    validate: (v: string) => ISO_UTC.test(v) && new Date(v).toISOString() === v,
  });
  validator.addSchema({ $id: COMPONENTS_ID, $defs: answerSchema(document.components.schemas) });
  return validator;
}

/** What is wrong with `value` as an instance of the document's `schema` (empty when it conforms). */
function schemaProblems(value: unknown, schema: Json): string[] {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(answerSchema(schema));
    validators.set(key, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "$"} ${e.message} ${JSON.stringify(e.params)} (${e.schemaPath})`,
  );
}

/** What is wrong with a request body by its documented schema, taken as written (bodies may carry fields the server ignores). */
function requestProblems(value: unknown, schema: Json): string[] {
  const key = `request:${JSON.stringify(schema)}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`)),
    );
    validators.set(key, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "$"} ${e.message} ${JSON.stringify(e.params)}`,
  );
}

const expectSchema = (value: unknown, schemaName: string) =>
  expect(schemaProblems(value, { $ref: `#/components/schemas/${schemaName}` })).toEqual([]);

/** The documented operation a concrete request reaches: its method and path, path parameters filled in. */
function operationFor(method: string, url: string): { key: string; op: Json } {
  const path = `/api/v1${url.split("?")[0]}`;
  const found = documentedOperations().filter(
    (o) =>
      o.method === method.toLowerCase() &&
      new RegExp(`^${o.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(path) &&
      // A literal segment wins over a parameter (`/contacts/bulk` is not `/contacts/{id}`).
      !documentedOperations().some(
        (other) =>
          other !== o &&
          other.method === o.method &&
          other.path.split("{").length < o.path.split("{").length &&
          new RegExp(`^${other.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(path),
      ),
  );
  expect(`${method} ${path}: ${found.length} documented operation(s)`).toBe(
    `${method} ${path}: 1 documented operation(s)`,
  );
  return found[0] as { key: string; op: Json };
}

/** A documented response, a shared one (`#/components/responses/NotFound`) looked up. */
function resolvedResponse(response: Json): Json {
  if (typeof response?.$ref !== "string") return response;
  const shared = doc.components.responses[response.$ref.replace("#/components/responses/", "")];
  expect(`${response.$ref} ${shared !== undefined}`).toBe(`${response.$ref} true`);
  return shared;
}

/** Each problem `type` the server documents, with its status (GET /api/v1/problems). */
let problemStatuses: Map<string, number>;

/** How a problem+json body departs from its answer: its status repeated, its `type` the kind of that status. */
function problemBodyProblems(key: string, status: number, body: Json): string[] {
  const problems: string[] = [];
  if (body.status !== status) problems.push(`${key} ${status}: the problem says status ${body.status}`);
  if (problemStatuses.get(body.type) !== status)
    problems.push(`${key} ${status}: type ${body.type} is not the documented type of a ${status}`);
  return problems;
}

/**
 * How an answer departs from what the document says `method url` answers: its status must be
 * one of the operation's documented responses, with that response's media type and required
 * headers, and its body valid against that response's schema (or empty when the response
 * documents no content); a problem's `status` and `type` must match the answer's status.
 */
function answerProblems(
  method: string,
  url: string,
  answer: { status: number; headers: Headers; text: string },
): string[] {
  const { key, op } = operationFor(method, url);
  const documented = resolvedResponse(op.responses[String(answer.status)]);
  if (!documented) return [`${key}: ${answer.status} is not a documented response`];
  const missing = Object.entries((documented.headers ?? {}) as Record<string, Json>)
    .filter(([name, header]) => header.required && !answer.headers.has(name))
    .map(([name]) => `${key} ${answer.status}: no ${name} header`);
  if (missing.length) return missing;
  const [mediaType, media] = Object.entries((documented.content ?? {}) as Record<string, Json>)[0] ?? [
    null,
    null,
  ];
  const actualType = answer.headers.get("content-type")?.split(";")[0] ?? null;
  if (actualType !== mediaType)
    return [`${key} ${answer.status}: ${actualType} where the document says ${mediaType}`];
  if (media === null)
    return answer.text === "" ? [] : [`${key} ${answer.status}: a body where none is documented`];
  const body = JSON.parse(answer.text);
  const problems = schemaProblems(body, media.schema).map((p) => `${key} ${answer.status}: ${p}`);
  if (problems.length || mediaType !== "application/problem+json") return problems;
  return problemBodyProblems(key, answer.status, body);
}

/** Whether a parameter's schema takes numbers (the query string's text is then read as one). */
function isNumeric(schema: Json): boolean {
  return schema.type === "integer" || schema.type === "number";
}

/**
 * Values at and just past each constraint a query parameter's schema states (bounds, lengths,
 * patterns, enums, formats, the type itself). Whether each is valid is decided by the schema,
 * through the validator, not here.
 */
function probeValues(schema: Json): string[] {
  if (schema.anyOf) return ["zzz-none-of-these", ...schema.anyOf.flatMap(probeValues)];
  const values: string[] = [];
  if (isNumeric(schema)) {
    values.push("abc", "1.5");
    if (schema.minimum === undefined) values.push("0", "-1");
    else values.push(String(schema.minimum - 1), String(schema.minimum));
    if (schema.maximum !== undefined) values.push(String(schema.maximum), String(schema.maximum + 1));
  }
  if (schema.type === "string" && schema.maxLength !== undefined)
    values.push("a".repeat(schema.maxLength), "a".repeat(schema.maxLength + 1));
  if (schema.pattern !== undefined) values.push("!");
  if (schema.enum) values.push("zzz", ...schema.enum.map(String));
  if (schema.format === "date") values.push("2024-02-29", "2023-02-29", "2024-1-01", "yesterday");
  return values;
}

/** Checks an answer against the document (see answerProblems). */
const expectDocumented = (
  method: string,
  url: string,
  answer: { status: number; headers: Headers; text: string },
) => expect(answerProblems(method, url, answer)).toEqual([]);

/** Row counts and change markers of everything the API can write, read straight from the file. */
const snapshot = (slug = HOME) =>
  data.shards.use(data.get(slug), (s) =>
    s
      .statement(
        `SELECT (SELECT count(*) || ':' || ifnull(max(updated_at), 0) FROM contacts) AS contacts,
          (SELECT count(*) || ':' || ifnull(max(updated_at), 0) FROM companies) AS companies,
          (SELECT count(*) || ':' || ifnull(max(updated_at), 0) || ':' || ifnull(sum(stage_id), 0) FROM deals) AS deals,
          (SELECT count(*) || ':' || ifnull(max(updated_at), 0) || ':' || ifnull(group_concat(name), '') FROM pipelines) AS pipelines,
          (SELECT count(*) || ':' || ifnull(group_concat(name || probability || kind || position), '') FROM stages) AS stages,
          (SELECT count(*) || ':' || ifnull(max(updated_at), 0) FROM tasks) AS tasks,
          (SELECT count(*) || ':' || ifnull(max(updated_at), 0) FROM notes) AS notes,
          (SELECT count(*) || ':' || ifnull(max(id), 0) FROM interactions) AS interactions`,
      )
      .get(),
  );

beforeAll(async () => {
  // Webhooks to a loopback address (port 9: nothing listens) for the documented-operations test,
  // which also sends every operation a missing, a foreign and a workspace-less key: far more
  // failed key checks from one address than the default throttle allows (that throttle's own
  // promises are test/api-rate-limit-contract's).
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_WEBHOOKS_ALLOW_PRIVATE: "1", CRM_WEBHOOKS_ALLOW_HTTP: "1", CRM_API_KEY_FAILURES: "100000" },
  });
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant(OTHER);
  await data.tenant(SOLO);
  owner = api(server.url, await data.apiKey(HOME, "owner"));
  admin = api(server.url, await data.apiKey(HOME, "admin"));
  member = api(server.url, await data.apiKey(HOME, "member"));
  readOnly = api(server.url, await data.apiKey(HOME, "read-only"));
  otherOwner = api(server.url, await data.apiKey(OTHER, "owner"));
  soloOwner = api(server.url, await data.apiKey(SOLO, "owner"));
  doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
  ajv = createValidator(doc);
  const kinds = await (await fetch(`${server.url}/api/v1/problems`)).json();
  problemStatuses = new Map(kinds.data.map((k: { type: string; status: number }) => [k.type, k.status]));
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("deals API", () => {
  it("creates a deal with people and tags (201, Location), gets, lists, patches and deletes it", async () => {
    const company = await created(owner, `/t/${HOME}/companies`, { name: "Globex" });
    const hank = await created(owner, `/t/${HOME}/contacts`, { firstName: "Hank", companyId: company.id });
    const frank = await created(owner, `/t/${HOME}/contacts`, { firstName: "Frank" });
    const sales = await salesPipeline();

    const response = await member("POST", `/t/${HOME}/deals`, {
      title: "Globex renewal",
      amountCents: 125_000,
      currency: "eur",
      expectedCloseOn: "2030-06-30",
      companyId: company.id,
      contactIds: [frank.id, hank.id, frank.id],
      tags: ["Renewal", "q3"],
      id: 1,
      status: "won",
    });
    expect(response.status).toBe(201);
    const deal = response.json;
    expect(response.headers.get("location")).toBe(`/api/v1/t/${HOME}/deals/${deal.id}`);
    expectSchema(deal, "Deal");
    expect(deal).toMatchObject({
      title: "Globex renewal",
      amountCents: 125_000,
      currency: "EUR",
      expectedCloseOn: "2030-06-30",
      pipelineId: sales.id,
      stageId: sales.lead,
      status: "open",
      lostReason: null,
      closedAt: null,
      companyId: company.id,
      ownerId: null,
      contactIds: [frank.id, hank.id].sort((a, b) => a - b),
      tags: ["q3", "renewal"],
    });
    expect(deal.id).not.toBe(1);

    expect((await readOnly("GET", `/t/${HOME}/deals/${deal.id}`)).json).toEqual(deal);
    for (const filter of [
      `contactId=${hank.id}`,
      `companyId=${company.id}`,
      "tag=renewal",
      "status=open",
      `pipelineId=${sales.id}`,
      `stageId=${sales.lead}`,
      "q=globex",
    ]) {
      const list = await owner("GET", `/t/${HOME}/deals?${filter}&limit=200`);
      expect(list.status).toBe(200);
      expect(list.json.data.map((d: { id: number }) => d.id)).toContain(deal.id);
      for (const d of list.json.data) expectSchema(d, "Deal");
    }
    for (const filter of ["status=won", `stageId=${sales.won}`, "tag=nothing"]) {
      const list = await owner("GET", `/t/${HOME}/deals?${filter}&limit=200`);
      expect(list.json.data.map((d: { id: number }) => d.id)).not.toContain(deal.id);
    }

    const patched = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, {
      title: "Globex renewal (3 years)",
      contactIds: [hank.id],
      tags: [],
    });
    expect(patched.status).toBe(200);
    expectSchema(patched.json, "Deal");
    expect(patched.json).toEqual({
      ...deal,
      title: "Globex renewal (3 years)",
      contactIds: [hank.id],
      tags: [],
      updatedAt: patched.json.updatedAt,
    });
    expect((await owner("GET", `/t/${HOME}/deals?contactId=${frank.id}`)).json.data).toEqual([]);

    const invalid = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, {
      amountCents: -1,
      currency: "XXQ",
      contactIds: [frank.id, 999_999_999],
    });
    expect(invalid.status).toBe(422);
    expect(fields(invalid)).toEqual(expect.arrayContaining(["amountCents", "currency"]));
    const unknownPerson = await member("POST", `/t/${HOME}/deals`, { title: "X", contactIds: [999_999_999] });
    expect(unknownPerson.status).toBe(422);
    expect(fields(unknownPerson)).toEqual(["contactIds.0"]);
    expect((await member("POST", `/t/${HOME}/deals`, { amountCents: 5 })).status).toBe(422);
    expect((await owner("GET", `/t/${HOME}/deals/${deal.id}`)).json).toEqual(patched.json);

    expect((await member("DELETE", `/t/${HOME}/deals/${deal.id}`)).status).toBe(204);
    expect((await owner("GET", `/t/${HOME}/deals/${deal.id}`)).status).toBe(404);
    expect((await member("DELETE", `/t/${HOME}/deals/${deal.id}`)).status).toBe(404);
    expect((await member("PATCH", `/t/${HOME}/deals/${deal.id}`, { title: "Back" })).status).toBe(404);
  });

  it("pages through deals with cursors for every sort and order, without gaps or repeats", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 23; i++) {
      const deal = await created(member, `/t/${HOME}/deals`, {
        title: `Paged ${String(22 - i).padStart(2, "0")}`,
        amountCents: (i % 5) * 100,
        tags: ["paged"],
      });
      ids.push(deal.id);
    }
    for (const sort of ["createdAt", "updatedAt", "name", "amount"]) {
      for (const order of ["asc", "desc"]) {
        const seen: Json[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: { status: number; json: Json } = await owner(
            "GET",
            `/t/${HOME}/deals?tag=paged&sort=${sort}&order=${order}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
          );
          expect(page.status).toBe(200);
          expect(page.json.data.length).toBeLessThanOrEqual(5);
          seen.push(...page.json.data);
          cursor = page.json.nextCursor;
          pages++;
        } while (cursor && pages < 20);
        const seenIds = seen.map((d) => d.id);
        expect(seenIds.length).toBe(23);
        expect(new Set(seenIds)).toEqual(new Set(ids));
        const key = (d: Json) =>
          sort === "name"
            ? d.title
            : sort === "amount"
              ? d.amountCents
              : Date.parse(sort === "createdAt" ? d.createdAt : d.updatedAt);
        for (let i = 1; i < seen.length; i++) {
          const [a, b] = [key(seen[i - 1]), key(seen[i])];
          if (order === "asc") expect(a <= b).toBe(true);
          else expect(a >= b).toBe(true);
        }
      }
    }
    const byName = await owner("GET", `/t/${HOME}/deals?tag=paged&sort=name&limit=3`);
    expect(byName.json.data.map((d: { title: string }) => d.title)).toEqual([
      "Paged 00",
      "Paged 01",
      "Paged 02",
    ]);
    expect((await owner("GET", `/t/${HOME}/deals?sort=probability`)).status).toBe(400);
    expect((await owner("GET", `/t/${HOME}/deals?status=pending`)).status).toBe(400);
    expect((await owner("GET", `/t/${HOME}/deals?cursor=garbage!`)).status).toBe(400);
  });

  it("moves a deal with PATCH stageId, and refuses another pipeline's stage with 422 naming stageId", async () => {
    const sales = await salesPipeline();
    const partners = await created(owner, `/t/${HOME}/pipelines`, {
      name: unique("Partners"),
      stages: [
        { name: "Intro", probability: 20 },
        { name: "Signed", probability: 100, kind: "won" },
      ],
    });
    const deal = await created(member, `/t/${HOME}/deals`, { title: "Move me", amountCents: 900 });
    expect(deal.stageId).toBe(sales.lead);

    const won = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, { stageId: sales.won });
    expect(won.status).toBe(200);
    expect(won.json).toMatchObject({ stageId: sales.won, status: "won", pipelineId: sales.id });
    expect(won.json.closedAt).not.toBeNull();
    expectSchema(won.json, "Deal");

    const lost = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, {
      stageId: sales.lost,
      lostReason: "No budget",
    });
    expect(lost.json).toMatchObject({ stageId: sales.lost, status: "lost", lostReason: "No budget" });

    const reopened = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, { stageId: sales.lead });
    expect(reopened.json).toMatchObject({
      stageId: sales.lead,
      status: "open",
      lostReason: null,
      closedAt: null,
    });

    const timeline = await owner("GET", `/t/${HOME}/interactions?subjectType=deal&subjectId=${deal.id}`);
    const kinds = timeline.json.data.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual([
      "deal.stage_changed",
      "deal.lost",
      "deal.stage_changed",
      "deal.won",
      "deal.stage_changed",
      "deal.created",
    ]);
    const lastMove = timeline.json.data.find((e: { kind: string }) => e.kind === "deal.stage_changed");
    expect(lastMove.payload).toMatchObject({ fromStageId: sales.lost, toStageId: sales.lead, to: "Lead" });

    const before = await owner("GET", `/t/${HOME}/deals/${deal.id}`);
    const elsewhere = partners.stages[0].id;
    const refused = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, {
      stageId: elsewhere,
      title: "Moved?",
    });
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(fields(refused)).toEqual(["stageId"]);
    expect((await owner("GET", `/t/${HOME}/deals/${deal.id}`)).json).toEqual(before.json);

    const noStage = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, { stageId: 999_999_999 });
    expect(noStage.status).toBe(422);
    expect(fields(noStage)).toEqual(["stageId"]);
    const otherPipeline = await member("PATCH", `/t/${HOME}/deals/${deal.id}`, { pipelineId: partners.id });
    expect(otherPipeline.status).toBe(422);
    expect(fields(otherPipeline)).toEqual(["pipelineId"]);
    expect((await owner("GET", `/t/${HOME}/deals/${deal.id}`)).json).toEqual(before.json);

    // Created straight into another pipeline's stage: fine when the pipeline matches, 422 when not.
    const inPartners = await created(member, `/t/${HOME}/deals`, {
      title: "Partner deal",
      stageId: elsewhere,
    });
    expect(inPartners).toMatchObject({ pipelineId: partners.id, stageId: elsewhere, status: "open" });
    const mismatch = await member("POST", `/t/${HOME}/deals`, {
      title: "Mismatch",
      pipelineId: sales.id,
      stageId: elsewhere,
    });
    expect(mismatch.status).toBe(422);
    expect(fields(mismatch)).toEqual(["stageId"]);
  });
});

describe("pipelines API", () => {
  it("creates, reads, renames, extends, reorders and deletes pipelines and stages (owner and admin keys)", async () => {
    const name = unique("Hiring");
    const response = await admin("POST", `/t/${HOME}/pipelines`, { name });
    expect(response.status).toBe(201);
    const pipeline = response.json;
    expect(response.headers.get("location")).toBe(`/api/v1/t/${HOME}/pipelines/${pipeline.id}`);
    expectSchema(pipeline, "Pipeline");
    expect(
      pipeline.stages.map((s: { name: string; kind: string; position: number }) => [
        s.name,
        s.kind,
        s.position,
      ]),
    ).toEqual([
      ["New", "open", 0],
      ["In progress", "open", 1],
      ["Won", "won", 2],
      ["Lost", "lost", 3],
    ]);

    const duplicate = await owner("POST", `/t/${HOME}/pipelines`, { name: name.toUpperCase() });
    expect(duplicate.status).toBe(422);
    expect(fields(duplicate)).toEqual(["name"]);
    expect(fields(await owner("POST", `/t/${HOME}/pipelines`, { name: "No stages", stages: [] }))).toEqual([
      "stages",
    ]);

    const list = await readOnly("GET", `/t/${HOME}/pipelines`);
    expect(list.status).toBe(200);
    expect(list.json.nextCursor).toBeNull();
    expect(
      schemaProblems(
        list.json,
        doc.paths["/api/v1/t/{tenant}/pipelines"].get.responses["200"].content["application/json"].schema,
      ),
    ).toEqual([]);
    expect(list.json.data.map((p: { id: number }) => p.id)).toContain(pipeline.id);
    expect((await readOnly("GET", `/t/${HOME}/pipelines/${pipeline.id}`)).json).toEqual(pipeline);

    const renamed = await owner("PATCH", `/t/${HOME}/pipelines/${pipeline.id}`, { name: `${name} 2` });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toEqual({ ...pipeline, name: `${name} 2` });
    expect((await owner("PATCH", `/t/${HOME}/pipelines/${pipeline.id}`, { name: "" })).status).toBe(422);

    const added = await owner("POST", `/t/${HOME}/pipelines/${pipeline.id}/stages`, {
      name: "Interview",
      probability: 60,
    });
    expect(added.status).toBe(201);
    expectSchema(added.json, "Pipeline");
    expect(added.json.stages.map((s: { name: string }) => s.name)).toEqual([
      "New",
      "In progress",
      "Interview",
      "Won",
      "Lost",
    ]);
    const badStage = await owner("POST", `/t/${HOME}/pipelines/${pipeline.id}/stages`, {
      name: "Odd",
      probability: 101,
      kind: "maybe",
    });
    expect(badStage.status).toBe(422);
    expect(fields(badStage).sort()).toEqual(["kind", "probability"]);

    const interview = added.json.stages.find((s: { name: string }) => s.name === "Interview");
    const moved = await owner("PATCH", `/t/${HOME}/stages/${interview.id}`, { position: 0, probability: 40 });
    expect(moved.status).toBe(200);
    expect(moved.json.id).toBe(pipeline.id);
    expect(
      moved.json.stages.map((s: { name: string; position: number; probability: number }) => [
        s.name,
        s.position,
        s.probability,
      ]),
    ).toEqual([
      ["Interview", 0, 40],
      ["New", 1, 10],
      ["In progress", 2, 50],
      ["Won", 3, 100],
      ["Lost", 4, 0],
    ]);

    expect((await owner("DELETE", `/t/${HOME}/stages/${interview.id}`)).status).toBe(204);
    const after = await owner("GET", `/t/${HOME}/pipelines/${pipeline.id}`);
    expect(after.json.stages.map((s: { name: string; position: number }) => [s.name, s.position])).toEqual([
      ["New", 0],
      ["In progress", 1],
      ["Won", 2],
      ["Lost", 3],
    ]);

    expect((await owner("DELETE", `/t/${HOME}/pipelines/${pipeline.id}`)).status).toBe(204);
    expect((await owner("GET", `/t/${HOME}/pipelines/${pipeline.id}`)).status).toBe(404);
    expect((await owner("DELETE", `/t/${HOME}/pipelines/${pipeline.id}`)).status).toBe(404);
  });

  it("PATCH of a stage changes only the fields sent (a won stage stays won)", async () => {
    const pipeline = await created(owner, `/t/${HOME}/pipelines`, { name: unique("Keep kinds") });
    const won = pipeline.stages.find((s: { kind: string }) => s.kind === "won");
    const deal = await created(member, `/t/${HOME}/deals`, { title: "Already won", stageId: won.id });
    expect(deal.status).toBe("won");

    const renamed = await owner("PATCH", `/t/${HOME}/stages/${won.id}`, { name: "Closed won" });
    expect(renamed.status).toBe(200);
    expect(renamed.json.stages.find((s: { id: number }) => s.id === won.id)).toMatchObject({
      name: "Closed won",
      kind: "won",
      probability: 100,
    });
    const reordered = await owner("PATCH", `/t/${HOME}/stages/${won.id}`, { position: 0 });
    expect(reordered.json.stages[0]).toMatchObject({ id: won.id, kind: "won" });
    expect((await owner("GET", `/t/${HOME}/deals/${deal.id}`)).json.status).toBe("won");

    const toLost = await owner("PATCH", `/t/${HOME}/stages/${won.id}`, { kind: "lost" });
    expect(toLost.json.stages[0].kind).toBe("lost");
    expect((await owner("GET", `/t/${HOME}/deals/${deal.id}`)).json.status).toBe("lost");
  });

  it("pipeline and stage writes need an admin or owner key: a member gets 403 and nothing changes", async () => {
    const pipeline = await created(owner, `/t/${HOME}/pipelines`, { name: unique("Guarded") });
    const stage = pipeline.stages[0];
    const before = await snapshot();
    for (const [method, path, body] of [
      ["POST", `/t/${HOME}/pipelines`, { name: unique("Nope") }],
      ["PATCH", `/t/${HOME}/pipelines/${pipeline.id}`, { name: unique("Nope") }],
      ["DELETE", `/t/${HOME}/pipelines/${pipeline.id}`, undefined],
      ["POST", `/t/${HOME}/pipelines/${pipeline.id}/stages`, { name: "Nope", probability: 5 }],
      ["PATCH", `/t/${HOME}/stages/${stage.id}`, { name: "Nope" }],
      ["DELETE", `/t/${HOME}/stages/${stage.id}`, undefined],
    ] as [string, string, object | undefined][]) {
      const response = await member(method, path, body);
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 403`);
      expect(response.json.detail).toContain("admin");
    }
    expect(await snapshot()).toEqual(before);
    expect((await member("GET", `/t/${HOME}/pipelines/${pipeline.id}`)).json).toEqual(pipeline);
  });

  it("refuses (422) deleting a stage or pipeline that has deals, a pipeline's only stage, and the only pipeline", async () => {
    const pipeline = await created(owner, `/t/${HOME}/pipelines`, {
      name: unique("Busy"),
      stages: [
        { name: "One", probability: 10 },
        { name: "Two", probability: 90 },
      ],
    });
    const [one, two] = pipeline.stages;
    const deal = await created(member, `/t/${HOME}/deals`, { title: "Blocker", stageId: one.id });

    const stageWithDeals = await owner("DELETE", `/t/${HOME}/stages/${one.id}`);
    expect(stageWithDeals.status).toBe(422);
    expect(fields(stageWithDeals)).toEqual(["stageId"]);
    const pipelineWithDeals = await owner("DELETE", `/t/${HOME}/pipelines/${pipeline.id}`);
    expect(pipelineWithDeals.status).toBe(422);
    expect(fields(pipelineWithDeals)).toEqual(["pipeline"]);
    expect((await owner("GET", `/t/${HOME}/pipelines/${pipeline.id}`)).json).toEqual(pipeline);

    expect((await member("DELETE", `/t/${HOME}/deals/${deal.id}`)).status).toBe(204);
    expect((await owner("DELETE", `/t/${HOME}/stages/${two.id}`)).status).toBe(204);
    const onlyStage = await owner("DELETE", `/t/${HOME}/stages/${one.id}`);
    expect(onlyStage.status).toBe(422);
    expect(fields(onlyStage)).toEqual(["stageId"]);
    expect((await owner("DELETE", `/t/${HOME}/pipelines/${pipeline.id}`)).status).toBe(204);

    // A fresh workspace has one pipeline and no deals: it still cannot lose its last pipeline.
    const solo = await soloOwner("GET", `/t/${SOLO}/pipelines`);
    expect(solo.json.data.length).toBe(1);
    const onlyPipeline = await soloOwner("DELETE", `/t/${SOLO}/pipelines/${solo.json.data[0].id}`);
    expect(onlyPipeline.status).toBe(422);
    expect(fields(onlyPipeline)).toEqual(["pipeline"]);
    expect(onlyPipeline.json.detail).toContain("only pipeline");
    expect((await soloOwner("GET", `/t/${SOLO}/pipelines`)).json).toEqual(solo.json);
  });
});

describe("tasks API", () => {
  it("creates, lists, gets, patches, completes (logging task.completed on the record) and deletes a task", async () => {
    const contact = await created(owner, `/t/${HOME}/contacts`, { firstName: "Tasked", lastName: "Person" });
    const response = await member("POST", `/t/${HOME}/tasks`, {
      title: "Call back",
      dueAt: "2030-01-02T09:30:00+01:00",
      subjectType: "contact",
      subjectId: contact.id,
      completed: true,
    });
    expect(response.status).toBe(201);
    const task = response.json;
    expect(response.headers.get("location")).toBe(`/api/v1/t/${HOME}/tasks/${task.id}`);
    expectSchema(task, "Task");
    expect(task).toMatchObject({
      title: "Call back",
      dueAt: "2030-01-02T08:30:00.000Z",
      assigneeId: null,
      subjectType: "contact",
      subjectId: contact.id,
      completed: false,
      completedAt: null,
    });
    expect((await readOnly("GET", `/t/${HOME}/tasks/${task.id}`)).json).toEqual(task);

    const about = await owner(
      "GET",
      `/t/${HOME}/tasks?subjectType=contact&subjectId=${contact.id}&completed=false`,
    );
    expect(about.status).toBe(200);
    expect(about.json.data).toEqual([task]);

    const patched = await member("PATCH", `/t/${HOME}/tasks/${task.id}`, {
      title: "Call back about pricing",
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      ...task,
      title: "Call back about pricing",
      updatedAt: patched.json.updatedAt,
    });

    const done = await member("PATCH", `/t/${HOME}/tasks/${task.id}`, { completed: true });
    expect(done.status).toBe(200);
    expectSchema(done.json, "Task");
    expect(done.json.completed).toBe(true);
    expect(done.json.completedAt).not.toBeNull();
    expect((await member("PATCH", `/t/${HOME}/tasks/${task.id}`, { completed: true })).json.completedAt).toBe(
      done.json.completedAt,
    );

    const timeline = await owner(
      "GET",
      `/t/${HOME}/interactions?subjectType=contact&subjectId=${contact.id}`,
    );
    const completions = timeline.json.data.filter((e: { kind: string }) => e.kind === "task.completed");
    expect(completions.length).toBe(1);
    expect(completions[0]).toMatchObject({
      subjectType: "contact",
      subjectId: contact.id,
      actorType: "api_key",
      payload: { taskId: task.id, title: "Call back about pricing" },
    });
    expectSchema(completions[0], "Interaction");

    expect(
      (await owner("GET", `/t/${HOME}/tasks?completed=true&subjectType=contact&subjectId=${contact.id}`)).json
        .data.length,
    ).toBe(1);
    expect(
      (await owner("GET", `/t/${HOME}/tasks?completed=false&subjectType=contact&subjectId=${contact.id}`))
        .json.data,
    ).toEqual([]);
    const reopened = await member("PATCH", `/t/${HOME}/tasks/${task.id}`, { completed: false });
    expect(reopened.json).toMatchObject({ completed: false, completedAt: null });

    expect((await member("DELETE", `/t/${HOME}/tasks/${task.id}`)).status).toBe(204);
    expect((await owner("GET", `/t/${HOME}/tasks/${task.id}`)).status).toBe(404);
    expect((await member("DELETE", `/t/${HOME}/tasks/${task.id}`)).status).toBe(404);
  });

  it("validates tasks (422 naming the field) and pages through them newest first", async () => {
    const loose = await member("POST", `/t/${HOME}/tasks`, { title: "Half a link", subjectType: "deal" });
    expect(loose.status).toBe(422);
    expect(fields(loose)).toEqual(["subjectId"]);
    const nowhere = await member("POST", `/t/${HOME}/tasks`, {
      title: "About nothing real",
      subjectType: "company",
      subjectId: 999_999_999,
    });
    expect(nowhere.status).toBe(422);
    expect(fields(nowhere)).toEqual(["subjectId"]);
    const bad = await member("POST", `/t/${HOME}/tasks`, {
      title: "",
      dueAt: "tomorrow",
      assigneeId: 424242,
    });
    expect(bad.status).toBe(422);
    expect(fields(bad)).toEqual(expect.arrayContaining(["title", "dueAt"]));

    const company = await created(owner, `/t/${HOME}/companies`, { name: "Task pager" });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (
          await created(member, `/t/${HOME}/tasks`, {
            title: `Page ${i}`,
            subjectType: "company",
            subjectId: company.id,
          })
        ).id,
      );
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: Json } = await owner(
        "GET",
        `/t/${HOME}/tasks?subjectType=company&subjectId=${company.id}&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.json.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.json.data.map((t: { id: number }) => t.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await owner("GET", `/t/${HOME}/tasks?completed=maybe`)).status).toBe(400);
  });
});

describe("notes API", () => {
  it("adds, lists, gets, edits and deletes a record's notes", async () => {
    const company = await created(owner, `/t/${HOME}/companies`, { name: "Noted Inc" });
    const response = await member("POST", `/t/${HOME}/notes`, {
      subjectType: "company",
      subjectId: company.id,
      body: "  First call went well.\nThey want a demo.  ",
    });
    expect(response.status).toBe(201);
    const note = response.json;
    expect(response.headers.get("location")).toBe(`/api/v1/t/${HOME}/notes/${note.id}`);
    expectSchema(note, "Note");
    expect(note).toMatchObject({
      body: "  First call went well.\nThey want a demo.  ",
      subjectType: "company",
      subjectId: company.id,
      authorId: null,
    });
    const second = await created(member, `/t/${HOME}/notes`, {
      subjectType: "company",
      subjectId: company.id,
      body: "Demo booked.",
    });

    const list = await readOnly("GET", `/t/${HOME}/notes?subjectType=company&subjectId=${company.id}`);
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ data: [second, note], nextCursor: null });
    expect((await readOnly("GET", `/t/${HOME}/notes/${note.id}`)).json).toEqual(note);

    const timeline = await owner(
      "GET",
      `/t/${HOME}/interactions?subjectType=company&subjectId=${company.id}`,
    );
    expect(
      timeline.json.data
        .filter((e: { kind: string }) => e.kind === "note.created")
        .map((e: { payload: { noteId: number } }) => e.payload.noteId),
    ).toEqual([second.id, note.id]);

    const edited = await member("PATCH", `/t/${HOME}/notes/${note.id}`, {
      body: "First call went very well.",
    });
    expect(edited.status).toBe(200);
    expect(edited.json).toEqual({
      ...note,
      body: "First call went very well.",
      updatedAt: edited.json.updatedAt,
    });
    const blank = await member("PATCH", `/t/${HOME}/notes/${note.id}`, { body: "   " });
    expect(blank.status).toBe(422);
    expect(fields(blank)).toEqual(["body"]);

    const unknownSubject = await member("POST", `/t/${HOME}/notes`, {
      subjectType: "deal",
      subjectId: 999_999_999,
      body: "Lost",
    });
    expect(unknownSubject.status).toBe(404);
    expect((await owner("GET", `/t/${HOME}/notes?subjectType=deal&subjectId=999999999`)).status).toBe(404);
    const missing = await owner("GET", `/t/${HOME}/notes?subjectType=company`);
    expect(missing.status).toBe(400);
    expect(fields(missing)).toEqual(["subjectId"]);
    expect(
      fields(await member("POST", `/t/${HOME}/notes`, { subjectType: "task", subjectId: 1, body: "x" })),
    ).toEqual(["subjectType"]);

    expect((await member("DELETE", `/t/${HOME}/notes/${note.id}`)).status).toBe(204);
    expect((await owner("GET", `/t/${HOME}/notes/${note.id}`)).status).toBe(404);
    expect((await member("PATCH", `/t/${HOME}/notes/${note.id}`, { body: "Again" })).status).toBe(404);
    expect(
      (await owner("GET", `/t/${HOME}/notes?subjectType=company&subjectId=${company.id}`)).json.data,
    ).toEqual([second]);
  });
});

describe("interactions API", () => {
  it("logs calls, meetings and emails and pages through a timeline newest first", async () => {
    const company = await created(owner, `/t/${HOME}/companies`, { name: "Timeline Ltd" });
    const contact = await created(owner, `/t/${HOME}/contacts`, { firstName: "Tim", companyId: company.id });
    const kinds = ["call", "meeting", "email"] as const;
    const logged: Json[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await member("POST", `/t/${HOME}/interactions`, {
        kind: kinds[i % 3],
        subjectType: "contact",
        subjectId: contact.id,
        summary: `Touchpoint ${i}`,
        ...(i % 2 ? { direction: "inbound" } : {}),
      });
      expect(response.status).toBe(201);
      expectSchema(response.json, "Interaction");
      logged.push(response.json);
    }
    expect(logged[1]).toMatchObject({
      kind: "meeting",
      subjectType: "contact",
      subjectId: contact.id,
      actorType: "api_key",
      actorName: "test",
      payload: { summary: "Touchpoint 1", direction: "inbound" },
    });
    const past = await member("POST", `/t/${HOME}/interactions`, {
      kind: "call",
      subjectType: "contact",
      subjectId: contact.id,
      summary: "Back then",
      occurredAt: "2024-03-01T10:00:00Z",
    });
    expect(past.json.occurredAt).toBe("2024-03-01T10:00:00.000Z");

    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; json: Json } = await readOnly(
        "GET",
        `/t/${HOME}/interactions?subjectType=contact&subjectId=${contact.id}&limit=4${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(4);
      for (const e of page.json.data) expectSchema(e, "Interaction");
      seen.push(...page.json.data);
      cursor = page.json.nextCursor;
    } while (cursor);
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(ids.length).toBe(14); // contact.created, 12 logged, 1 back-dated
    expect(seen.at(-1).kind).toBe("contact.created");
    expect(ids).toEqual(expect.arrayContaining(logged.map((e) => e.id)));

    const history = await owner(
      "GET",
      `/t/${HOME}/interactions?subjectType=contact&subjectId=${contact.id}&history=true`,
    );
    expect(history.json.data.map((e: { kind: string }) => e.kind)).toEqual(["contact.created"]);
    const companyTimeline = await owner(
      "GET",
      `/t/${HOME}/interactions?subjectType=company&subjectId=${company.id}&limit=200`,
    );
    expect(companyTimeline.json.data.map((e: { id: number }) => e.id)).toEqual(expect.arrayContaining(ids));
  });

  it("validates a logged activity: bad kind 422, unknown subject 404, bad parameters 400", async () => {
    const contact = await created(owner, `/t/${HOME}/contacts`, { firstName: "Val" });
    const before = await snapshot();
    const badKind = await member("POST", `/t/${HOME}/interactions`, {
      kind: "contact.deleted",
      subjectType: "contact",
      subjectId: contact.id,
      summary: "Forged",
    });
    expect(badKind.status).toBe(422);
    expect(fields(badKind)).toEqual(["kind"]);
    const bad = await member("POST", `/t/${HOME}/interactions`, {
      kind: "call",
      subjectType: "contact",
      subjectId: contact.id,
      summary: "",
      direction: "sideways",
      occurredAt: "2999-01-01T00:00:00Z",
    });
    expect(bad.status).toBe(422);
    expect(fields(bad).sort()).toEqual(["direction", "occurredAt", "summary"]);
    const unknown = await member("POST", `/t/${HOME}/interactions`, {
      kind: "email",
      subjectType: "deal",
      subjectId: 999_999_999,
      summary: "To nobody",
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    expect(await snapshot()).toEqual(before);

    expect(
      (await owner("GET", `/t/${HOME}/interactions?subjectType=contact&subjectId=999999999`)).status,
    ).toBe(404);
    for (const query of [
      "subjectType=contact",
      "subjectType=task&subjectId=1",
      `subjectType=contact&subjectId=${contact.id}&history=yes`,
      `subjectType=contact&subjectId=${contact.id}&limit=0`,
    ]) {
      expect((await owner("GET", `/t/${HOME}/interactions?${query}`)).status).toBe(400);
    }
  });
});

describe("search API", () => {
  it("answers matches per kind, each in the documented shape", async () => {
    const company = await created(owner, `/t/${HOME}/companies`, {
      name: "Quuxcorp",
      domain: "quux.example",
    });
    const contact = await created(owner, `/t/${HOME}/contacts`, {
      firstName: "Zephyrine",
      lastName: "Quuxley",
      email: "z@quux.example",
      companyId: company.id,
    });
    const deal = await created(member, `/t/${HOME}/deals`, { title: "Quux expansion" });
    const note = await created(member, `/t/${HOME}/notes`, {
      subjectType: "contact",
      subjectId: contact.id,
      body: "She asked about quuxing the widgets",
    });

    const response = await readOnly("GET", `/t/${HOME}/search?q=quux`);
    expect(response.status).toBe(200);
    expect(
      schemaProblems(
        response.json,
        doc.paths["/api/v1/t/{tenant}/search"].get.responses["200"].content["application/json"].schema,
      ),
    ).toEqual([]);
    expect(Object.keys(response.json).sort()).toEqual(["company", "contact", "deal", "note"]);
    expect(response.json.contact).toContainEqual({
      type: "contact",
      id: contact.id,
      title: "Zephyrine Quuxley",
      detail: "z@quux.example",
    });
    expect(response.json.company).toContainEqual({
      type: "company",
      id: company.id,
      title: "Quuxcorp",
      detail: "quux.example",
    });
    expect(response.json.deal).toContainEqual({
      type: "deal",
      id: deal.id,
      title: "Quux expansion",
      detail: "Lead",
    });
    const noteHit = response.json.note.find((h: { id: number }) => h.id === note.id);
    expect(noteHit).toMatchObject({
      type: "note",
      subjectType: "contact",
      subjectId: contact.id,
      detail: null,
    });
    expect(noteHit.title).toContain("[quuxing]");

    const one = await owner("GET", `/t/${HOME}/search?q=quux&limit=1`);
    for (const hits of Object.values(one.json) as unknown[][]) expect(hits.length).toBeLessThanOrEqual(1);
    expect((await owner("GET", `/t/${HOME}/search?q=q`)).json).toEqual({
      contact: [],
      company: [],
      deal: [],
      note: [],
    });
    const noQuery = await owner("GET", `/t/${HOME}/search`);
    expect(noQuery.status).toBe(400);
    expect(fields(noQuery)).toEqual(["q"]);
    expect((await owner("GET", `/t/${HOME}/search?q=quux&limit=51`)).status).toBe(400);
    for (const q of ['"', "NEAR(", "a OR", "col:value", "'; DROP TABLE deals; --"]) {
      expect((await owner("GET", `/t/${HOME}/search?q=${encodeURIComponent(q)}`)).status).toBe(200);
    }
  });
});

/** Ids of one record of each kind in a workspace, made through the API with `call`. */
async function recordsIn(call: Call, slug: string) {
  const company = await created(call, `/t/${slug}/companies`, { name: unique("Fixture Co") });
  const contact = await created(call, `/t/${slug}/contacts`, { firstName: "Fixture", companyId: company.id });
  const deal = await created(call, `/t/${slug}/deals`, {
    title: unique("Fixture deal"),
    contactIds: [contact.id],
  });
  const pipeline = await created(call, `/t/${slug}/pipelines`, { name: unique("Fixture pipeline") });
  const task = await created(call, `/t/${slug}/tasks`, {
    title: "Fixture task",
    subjectType: "deal",
    subjectId: deal.id,
  });
  const note = await created(call, `/t/${slug}/notes`, {
    subjectType: "deal",
    subjectId: deal.id,
    body: "Fixture",
  });
  return {
    company: company.id as number,
    contact: contact.id as number,
    deal: deal.id as number,
    pipeline: pipeline.id as number,
    stage: pipeline.stages[1].id as number,
    task: task.id as number,
    note: note.id as number,
  };
}

describe("every route refuses what it must", () => {
  it("400 naming an unknown query parameter, on every list", async () => {
    const ids = await recordsIn(owner, HOME);
    for (const list of [
      "/contacts?",
      "/companies?",
      "/deals?",
      "/pipelines?",
      `/interactions?subjectType=deal&subjectId=${ids.deal}&`,
      "/tasks?",
      `/notes?subjectType=deal&subjectId=${ids.deal}&`,
      "/search?q=fixture&",
    ]) {
      const response = await readOnly("GET", `/t/${HOME}${list}frobnicate=1`);
      expect(`${list} ${response.status}`).toBe(`${list} 400`);
      expectDocumented("GET", `/t/${HOME}${list}`, response);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.json.detail).toContain("frobnicate");
      expect(fields(response)).toEqual(["frobnicate"]);
    }
  });

  it("400 for malformed JSON (and for a body that is not an object) on every write with a body", async () => {
    const ids = await recordsIn(owner, HOME);
    const before = await snapshot();
    for (const [method, path] of [
      ["POST", "/contacts"],
      ["PATCH", `/contacts/${ids.contact}`],
      ["POST", "/companies"],
      ["PATCH", `/companies/${ids.company}`],
      ["POST", "/deals"],
      ["PATCH", `/deals/${ids.deal}`],
      ["POST", "/pipelines"],
      ["PATCH", `/pipelines/${ids.pipeline}`],
      ["POST", `/pipelines/${ids.pipeline}/stages`],
      ["PATCH", `/stages/${ids.stage}`],
      ["POST", "/interactions"],
      ["POST", "/tasks"],
      ["PATCH", `/tasks/${ids.task}`],
      ["POST", "/notes"],
      ["PATCH", `/notes/${ids.note}`],
    ] as [string, string][]) {
      const broken = await owner(method, `/t/${HOME}${path}`, '{"title": "x",');
      expect(`${method} ${path} ${broken.status}`).toBe(`${method} ${path} 400`);
      expect(broken.json.detail).toContain("not valid JSON");
      expectDocumented(method, `/t/${HOME}${path}`, broken);
      const array = await owner(method, `/t/${HOME}${path}`, "[1, 2]");
      expect(array.status).toBe(400);
      expectDocumented(method, `/t/${HOME}${path}`, array);
      const form = await owner(method, `/t/${HOME}${path}`, "title=x", {
        "content-type": "application/x-www-form-urlencoded",
      });
      expect(form.status).toBe(415);
      expectDocumented(method, `/t/${HOME}${path}`, form);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("403 for a read-only key on every write route, and nothing is written", async () => {
    const ids = await recordsIn(owner, HOME);
    const before = await snapshot();
    for (const [method, path, body] of [
      ["POST", "/contacts", { firstName: "No" }],
      ["PATCH", `/contacts/${ids.contact}`, { firstName: "No" }],
      ["DELETE", `/contacts/${ids.contact}`, undefined],
      ["POST", "/companies", { name: "No" }],
      ["PATCH", `/companies/${ids.company}`, { name: "No" }],
      ["DELETE", `/companies/${ids.company}`, undefined],
      ["POST", "/deals", { title: "No" }],
      ["PATCH", `/deals/${ids.deal}`, { title: "No" }],
      ["DELETE", `/deals/${ids.deal}`, undefined],
      ["POST", "/pipelines", { name: "No" }],
      ["PATCH", `/pipelines/${ids.pipeline}`, { name: "No" }],
      ["DELETE", `/pipelines/${ids.pipeline}`, undefined],
      ["POST", `/pipelines/${ids.pipeline}/stages`, { name: "No", probability: 1 }],
      ["PATCH", `/stages/${ids.stage}`, { name: "No" }],
      ["DELETE", `/stages/${ids.stage}`, undefined],
      ["POST", "/interactions", { kind: "call", subjectType: "deal", subjectId: ids.deal, summary: "No" }],
      ["POST", "/tasks", { title: "No" }],
      ["PATCH", `/tasks/${ids.task}`, { completed: true }],
      ["DELETE", `/tasks/${ids.task}`, undefined],
      ["POST", "/notes", { subjectType: "deal", subjectId: ids.deal, body: "No" }],
      ["PATCH", `/notes/${ids.note}`, { body: "No" }],
      ["DELETE", `/notes/${ids.note}`, undefined],
    ] as [string, string, object | undefined][]) {
      const response = await readOnly(method, `/t/${HOME}${path}`, body);
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 403`);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expectDocumented(method, `/t/${HOME}${path}`, response);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("404 for another workspace's ids on every route that takes one, and the other workspace is untouched", async () => {
    const theirs = await recordsIn(otherOwner, OTHER);
    const ours = await recordsIn(owner, HOME);
    // Ids start at a random point per workspace: theirs are not ours (checked, so the 404s mean something).
    const clash = await data.shards.use(data.get(HOME), (s) =>
      s
        .statement(
          `SELECT (SELECT count(*) FROM companies WHERE id = ?) + (SELECT count(*) FROM contacts WHERE id = ?)
            + (SELECT count(*) FROM deals WHERE id = ?) + (SELECT count(*) FROM pipelines WHERE id = ?)
            + (SELECT count(*) FROM stages WHERE id = ?) + (SELECT count(*) FROM tasks WHERE id = ?)
            + (SELECT count(*) FROM notes WHERE id = ?) AS n`,
        )
        .get(
          theirs.company,
          theirs.contact,
          theirs.deal,
          theirs.pipeline,
          theirs.stage,
          theirs.task,
          theirs.note,
        ),
    );
    expect(clash).toEqual({ n: 0 });

    const beforeOther = await snapshot(OTHER);
    const beforeHome = await snapshot();
    const routes: [string, string, object | undefined][] = [];
    for (const [path, id, patch] of [
      ["contacts", theirs.contact, { firstName: "Mine" }],
      ["companies", theirs.company, { name: "Mine" }],
      ["deals", theirs.deal, { title: "Mine" }],
      ["pipelines", theirs.pipeline, { name: unique("Mine") }],
      ["tasks", theirs.task, { completed: true }],
      ["notes", theirs.note, { body: "Mine" }],
    ] as [string, number, object][]) {
      routes.push(
        ["GET", `/${path}/${id}`, undefined],
        ["PATCH", `/${path}/${id}`, patch],
        ["DELETE", `/${path}/${id}`, undefined],
      );
    }
    routes.push(
      ["POST", `/pipelines/${theirs.pipeline}/stages`, { name: "Mine", probability: 5 }],
      ["PATCH", `/stages/${theirs.stage}`, { name: "Mine" }],
      ["DELETE", `/stages/${theirs.stage}`, undefined],
      ["GET", `/interactions?subjectType=deal&subjectId=${theirs.deal}`, undefined],
      ["GET", `/interactions?subjectType=contact&subjectId=${theirs.contact}`, undefined],
      ["GET", `/interactions?subjectType=company&subjectId=${theirs.company}`, undefined],
      [
        "POST",
        "/interactions",
        { kind: "call", subjectType: "deal", subjectId: theirs.deal, summary: "Mine" },
      ],
      ["GET", `/notes?subjectType=deal&subjectId=${theirs.deal}`, undefined],
      ["POST", "/notes", { subjectType: "contact", subjectId: theirs.contact, body: "Mine" }],
    );
    for (const [method, path, body] of routes) {
      const response = await owner(method, `/t/${HOME}${path}`, body);
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 404`);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expectDocumented(method, `/t/${HOME}${path}`, response);
    }
    // Links to their records are refused as invalid fields, not followed.
    const linked = await owner("POST", `/t/${HOME}/deals`, {
      title: "Crossed",
      companyId: theirs.company,
      contactIds: [theirs.contact],
      stageId: theirs.stage,
    });
    expect(linked.status).toBe(422);
    expectDocumented("POST", `/t/${HOME}/deals`, linked);
    expect(fields(linked).sort()).toEqual(["companyId", "contactIds.0", "stageId"]);
    const moved = await owner("PATCH", `/t/${HOME}/deals/${ours.deal}`, { stageId: theirs.stage });
    expect(moved.status).toBe(422);
    expectDocumented("PATCH", `/t/${HOME}/deals/${ours.deal}`, moved);
    const task = await owner("POST", `/t/${HOME}/tasks`, {
      title: "Crossed",
      subjectType: "deal",
      subjectId: theirs.deal,
    });
    expect(task.status).toBe(422);

    expect(await snapshot(OTHER)).toEqual(beforeOther);
    expect(await snapshot()).toEqual(beforeHome);
    for (const [path, id] of [
      ["contacts", theirs.contact],
      ["companies", theirs.company],
      ["deals", theirs.deal],
      ["pipelines", theirs.pipeline],
      ["tasks", theirs.task],
      ["notes", theirs.note],
    ] as [string, number][]) {
      expect((await otherOwner("GET", `/t/${OTHER}/${path}/${id}`)).status).toBe(200);
    }
    // And their key is no key here at all.
    const foreignKey = await otherOwner("GET", `/t/${HOME}/deals/${ours.deal}`);
    expect(foreignKey.status).toBe(401);
    expectDocumented("GET", `/t/${HOME}/deals/${ours.deal}`, foreignKey);
  });
});

/**
 * Every route the API app really mounts, read from the router that `crm serve` builds (the
 * real factory over a throw-away data directory), as OpenAPI operation keys. A route parameter
 * the router resolves from an allow-list (`:kind` of bulk changes) stands for each allowed value.
 */
function mountedApiRoutes(): string[] {
  const routesDir = tempDir("crm-routes-");
  const deps = createDeps(loadConfig({ CRM_DATA: routesDir.path }), new Logger({ write() {}, flush() {} }));
  try {
    const allowed: Record<string, string[]> = { kind: Object.keys(BULK_KINDS) };
    const keys = inspectRoutes(createApp(deps))
      .filter((r) => !r.isMiddleware && r.path.startsWith("/api/"))
      .flatMap((r) => {
        let paths = [r.path];
        for (const [name, values] of Object.entries(allowed))
          paths = paths.flatMap((p) =>
            p.includes(`/:${name}/`) ? values.map((v) => p.replace(`:${name}`, v)) : [p],
          );
        return paths.map((p) => `${r.method} ${p.replace(/:(\w+)/g, "{$1}")}`);
      });
    return [...new Set(keys)];
  } finally {
    deps.shards.closeAll();
    deps.catalog.close();
    routesDir.remove();
  }
}

let fieldKeys = 0;
/** A custom field key no other test run used (keys are unique per kind of record). */
const fieldKey = () => `doc_${Date.now().toString(36)}_${fieldKeys++}`;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function documentedOperations(): { key: string; path: string; method: string; op: Json; pathItem: Json }[] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, pathItem]) =>
    Object.entries(pathItem)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op, pathItem })),
  );
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with a summary and a unique operationId on every operation, and every $ref resolves", async () => {
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(doc.openapi).toBe("3.1.0");
    const operations = documentedOperations();
    const operationIds = operations.map((o) => o.op.operationId);
    for (const { key, op } of operations) {
      expect(`${key}: ${typeof op.summary} ${typeof op.operationId}`).toBe(`${key}: string string`);
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
    expect(new Set(operationIds).size).toBe(operationIds.length);

    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      // A local JSON pointer (`#/components/schemas/Contact`, `#/components/responses/NotFound`).
      const target = ref
        .slice(10, -1)
        .split("/")
        .reduce((node: Json, step: string) => node?.[step], doc);
      expect(`${ref} ${target !== undefined}`).toBe(`${ref} true`);
    }
    // Every {parameter} in a path is declared as a path parameter.
    for (const { key, path, op, pathItem } of operations) {
      const declared = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])]
        .filter((p: { in: string }) => p.in === "path")
        .map((p: { name: string }) => p.name)
        .sort();
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(`${key} ${declared.join(",")}`).toBe(`${key} ${inPath.join(",")}`);
    }
  });

  it("documents exactly the routes the API app's router mounts", () => {
    const documented = documentedOperations().map((o) => o.key);
    const mounted = mountedApiRoutes();
    expect(mounted.length).toBeGreaterThan(0);
    expect([...mounted].sort()).toEqual([...documented].sort());
  });

  it("every documented operation is answered (never a 404 or 405 for the route), with its documented success status and schema, and refuses what it must (no key, another workspace's, no such record, a read-only key, a bad body, headers past the limit) with a documented status and problem, writing nothing", async () => {
    const ids = await recordsIn(owner, HOME);
    const fresh = async (path: string): Promise<number> => {
      // DELETE gets a record made just for it, so the shared ones stay for the other operations.
      if (path.endsWith("/stages/{id}")) {
        const p = await created(owner, `/t/${HOME}/pipelines`, { name: unique("To trim") });
        return p.stages[0].id;
      }
      if (path.endsWith("/pipelines/{id}"))
        return (await created(owner, `/t/${HOME}/pipelines`, { name: unique("To drop") })).id;
      if (path.endsWith("/notes/{id}"))
        return (
          await created(owner, `/t/${HOME}/notes`, { subjectType: "deal", subjectId: ids.deal, body: "Drop" })
        ).id;
      if (path.endsWith("/tasks/{id}"))
        return (await created(owner, `/t/${HOME}/tasks`, { title: "Drop" })).id;
      if (path.endsWith("/deals/{id}"))
        return (await created(owner, `/t/${HOME}/deals`, { title: "Drop" })).id;
      if (path.endsWith("/contacts/{id}"))
        return (await created(owner, `/t/${HOME}/contacts`, { firstName: "Drop" })).id;
      if (path.endsWith("/companies/{id}"))
        return (await created(owner, `/t/${HOME}/companies`, { name: "Drop" })).id;
      if (path.endsWith("/custom-fields/{id}"))
        return (
          await created(owner, `/t/${HOME}/custom-fields`, {
            entity: "deal",
            key: fieldKey(),
            label: "Drop",
            type: "text",
          })
        ).id;
      if (path.endsWith("/segments/{id}"))
        return (await created(owner, `/t/${HOME}/segments`, { name: "Drop", rules: [] })).id;
      if (path.endsWith("/webhooks/{id}"))
        return (
          await created(owner, `/t/${HOME}/webhooks`, { url: "http://127.0.0.1:9/drop", events: ["*"] })
        ).id;
      throw new Error(`no fixture for DELETE ${path}`);
    };
    const existing: Record<string, number> = {
      contacts: ids.contact,
      companies: ids.company,
      deals: ids.deal,
      pipelines: ids.pipeline,
      stages: ids.stage,
      tasks: ids.task,
      notes: ids.note,
      "custom-fields": (
        await created(owner, `/t/${HOME}/custom-fields`, {
          entity: "contact",
          key: fieldKey(),
          label: "Doc field",
          type: "number",
        })
      ).id,
      segments: (await created(owner, `/t/${HOME}/segments`, { name: "Doc segment", rules: [] })).id,
      webhooks: (
        await created(owner, `/t/${HOME}/webhooks`, { url: "http://127.0.0.1:9/doc", events: ["contact.*"] })
      ).id,
      users: (await owner("GET", `/t/${HOME}/users`)).json.data[0].id,
    };
    // A merge folds a record made just for it into the shared one, which stays.
    const duplicateContact = await created(owner, `/t/${HOME}/contacts`, { firstName: "Doc duplicate" });
    const duplicateCompany = await created(owner, `/t/${HOME}/companies`, { name: "Doc duplicate Co" });
    const bodies: Record<string, object> = {
      mergeContacts: { duplicateId: duplicateContact.id, keep: { firstName: "survivor" } },
      mergeCompanies: { duplicateId: duplicateCompany.id },
      createContact: { firstName: "Doc" },
      updateContact: { title: "Documented" },
      createCompany: { name: "Doc Co" },
      updateCompany: { city: "Lisbon" },
      createDeal: { title: "Doc deal", contactIds: [ids.contact] },
      updateDeal: { amountCents: 4200 },
      createPipeline: { name: unique("Doc pipeline") },
      renamePipeline: { name: unique("Doc pipeline renamed") },
      addStage: { name: "Doc stage", probability: 30 },
      updateStage: { probability: 35 },
      logActivity: { kind: "email", subjectType: "deal", subjectId: ids.deal, summary: "Documented" },
      ingestEvents: [{ type: "web.visit", contactId: ids.contact, url: "https://example.com/documented" }],
      createTask: { title: "Doc task" },
      updateTask: { completed: true },
      createNote: { subjectType: "deal", subjectId: ids.deal, body: "Documented" },
      updateNote: { body: "Documented again" },
      createCustomField: {
        entity: "company",
        key: fieldKey(),
        label: "Doc select",
        type: "select",
        options: ["A", "B"],
      },
      updateCustomField: { label: "Doc field renamed" },
      bulkChangeContacts: { ids: [ids.contact], action: "addTag", tag: "documented" },
      bulkChangeCompanies: { filter: { tag: "nothing-has-this" }, action: "delete" },
      bulkChangeDeals: { ids: [ids.deal], action: "setOwner", ownerId: null },
      createSegment: { name: "Doc leads", rules: [{ field: "tags", op: "contains", value: "lead" }] },
      updateSegment: { match: "any", rules: [{ field: "createdAt", op: "after", value: "2020-01-31" }] },
      bulkChangeSegment: { action: "removeTag", tag: "nothing-has-this" },
      batchWriteContacts: { mode: "upsert", items: [{ firstName: "Doc batch", externalId: "doc-batch" }] },
      batchWriteCompanies: { mode: "create", items: [{ name: "Doc batch Co" }] },
      batchWriteDeals: { mode: "update", items: [{ id: ids.deal, title: "Doc batch deal" }] },
      createWebhook: { url: "http://127.0.0.1:9/documented", events: ["deal.*"] },
      updateWebhook: { events: ["contact.created", "deal.*"], enabled: false },
    };
    const queryValues: Record<string, string> = {
      subjectType: "deal",
      subjectId: String(ids.deal),
      q: "fixture",
    };

    const keys = {
      owner: await ownerKey(),
      otherWorkspace: await data.apiKey(OTHER, "owner"),
      readOnly: await data.apiKey(HOME, "read-only"),
    };
    const bodyLimit = loadConfig({ CRM_DATA: dir.path }).bodyLimitBytes;

    const called: string[] = [];
    const validated: string[] = [];
    const empty: string[] = [];
    const refused: string[] = [];
    for (const { key, path, method, op, pathItem } of documentedOperations()) {
      let url = path.replace("{tenant}", HOME).replace("{kind}", "validation");
      if (path.includes("{id}")) {
        const collection = /\/([\w-]+)\/\{id\}/.exec(path)?.[1] ?? "";
        const id = method === "delete" ? await fresh(path) : existing[collection];
        expect(`${key} ${id !== undefined}`).toBe(`${key} true`);
        url = url.replace("{id}", String(id));
      }
      const required = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].filter(
        (p: { in: string; required?: boolean }) => p.in === "query" && p.required,
      );
      if (required.length) {
        url += `?${required.map((p: { name: string }) => `${p.name}=${encodeURIComponent(queryValues[p.name] ?? "")}`).join("&")}`;
      }
      const body = op.requestBody ? bodies[op.operationId] : undefined;
      expect({ key, sent: body !== undefined }).toEqual({ key, sent: op.requestBody !== undefined });
      // The body the server is about to accept is one the document allows.
      const bodySchema = op.requestBody?.content?.["application/json"]?.schema ?? { type: "null" };
      expect(`${key} ${requestProblems(body ?? null, bodySchema).join("; ")}`).toBe(`${key} `);
      // Each refusal first (they write nothing, so the record is still there for the request itself).
      const before = await snapshot();
      for (const probe of refusalProbes({
        method: method.toUpperCase(),
        path,
        url,
        slug: HOME,
        secured: op.security === undefined || op.security.length > 0,
        takesIfMatch: [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].some(
          (p: Json) => p.in === "header" && p.name === "If-Match",
        ),
        body,
        bodyLimit: path.endsWith("/events") ? EVENTS_MAX_BYTES : bodyLimit,
        keys,
      })) {
        const answer = await fetch(`${server.url}${probe.url}`, {
          method: probe.method,
          headers: probe.headers,
          body: probe.body,
        });
        const answered = { status: answer.status, headers: answer.headers, text: await answer.text() };
        const what = `${key}, ${probe.name}:`;
        expect(`${what} ${answered.status} ${answered.text.slice(0, 160)}`).toBe(
          `${what} ${probe.expected.includes(answered.status) ? answered.status : probe.expected.join(" or ")} ${answered.text.slice(0, 160)}`,
        );
        expect(answerProblems(method, probe.url.replace("/api/v1", ""), answered)).toEqual([]);
        refused.push(`${key} ${answered.status}`);
      }
      expect(`${key} wrote ${JSON.stringify(await snapshot())}`).toBe(
        `${key} wrote ${JSON.stringify(before)}`,
      );
      const response = await fetch(`${server.url}${url}`, {
        method: method.toUpperCase(),
        headers: {
          authorization: `Bearer ${await ownerKey()}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      called.push(key);
      expect(`${key} ${response.status}`).not.toBe(`${key} 404`);
      expect(`${key} ${response.status}`).not.toBe(`${key} 405`);
      const success = Object.keys(op.responses).filter((s) => s.startsWith("2"));
      expect(success).toHaveLength(1);
      expect(`${key} ${response.status} ${text.slice(0, 200)}`).toBe(
        `${key} ${success[0]} ${text.slice(0, 200)}`,
      );
      // The answer's media type, and its body against the schema documented for that status.
      expect(
        answerProblems(method, url.replace("/api/v1", ""), {
          status: response.status,
          headers: response.headers,
          text,
        }),
      ).toEqual([]);
      const media = Object.keys(op.responses[success[0] as string].content ?? {});
      (media.length ? validated : empty).push(key);
    }
    const documented = documentedOperations().map((o) => o.key);
    expect(called).toEqual(documented);
    expect(called).toHaveLength(documented.length);
    // Every success is JSON with a schema, except a DELETE's 204, which has no body at all.
    expect(empty).toEqual(documented.filter((k) => k.startsWith("DELETE ")));
    expect(validated.length + empty.length).toBe(documented.length);
    // Every operation met the refusals that concern it: 431 everywhere, 401 and 400 behind a key,
    // 403 on a write, 412 where it takes If-Match.
    for (const { key, method, op, pathItem } of documentedOperations()) {
      const secured = op.security === undefined || op.security.length > 0;
      const ifMatch = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].some(
        (p: Json) => p.name === "If-Match",
      );
      const wanted = [
        "431",
        ...(secured ? ["400", "401"] : []),
        ...(secured && method !== "get" ? ["403"] : []),
      ];
      if (ifMatch) wanted.push("412");
      const statuses = new Set(
        refused.filter((r) => r.startsWith(`${key} `)).map((r) => r.slice(key.length + 1)),
      );
      expect({ key, missing: wanted.filter((s) => !statuses.has(s)) }).toEqual({ key, missing: [] });
    }
    expect(refused.filter((r) => r.endsWith(" 412")).length).toBeGreaterThanOrEqual(16);
  });

  it("every documented list that pages, read one row a page, answers cursors the document allows (nextCursor, and prevCursor where documented, non-null between pages) and walks its rows exactly, both ways where it can", async () => {
    const tag = `paging-${Date.now().toString(36)}`;
    const contacts = [];
    for (const name of ["Paged one", "Paged two", "Paged three"])
      contacts.push(await created(owner, `/t/${HOME}/contacts`, { firstName: name, tags: [tag] }));
    for (const name of ["Paged Co one", "Paged Co two", "Paged Co three"])
      await created(owner, `/t/${HOME}/companies`, { name, tags: [tag] });
    const deals = [];
    for (const title of ["Paged deal one", "Paged deal two", "Paged deal three"])
      deals.push(await created(owner, `/t/${HOME}/deals`, { title, tags: [tag] }));
    const about = contacts[0].id as number;
    for (const title of ["Paged task one", "Paged task two", "Paged task three"])
      await created(owner, `/t/${HOME}/tasks`, { title, subjectType: "contact", subjectId: about });
    const dealId = deals[0].id as number;
    for (const body of ["Paged note one", "Paged note two", "Paged note three"])
      await created(owner, `/t/${HOME}/notes`, { subjectType: "deal", subjectId: dealId, body });
    await created(owner, `/t/${HOME}/interactions`, {
      kind: "call",
      subjectType: "deal",
      subjectId: dealId,
      summary: "Paged call",
    });
    /** Each list that pages, filtered to rows made above. */
    const filters: Record<string, string> = {
      "/api/v1/t/{tenant}/contacts": `tag=${tag}`,
      "/api/v1/t/{tenant}/companies": `tag=${tag}`,
      "/api/v1/t/{tenant}/deals": `tag=${tag}`,
      "/api/v1/t/{tenant}/tasks": `subjectType=contact&subjectId=${about}`,
      "/api/v1/t/{tenant}/interactions": `subjectType=deal&subjectId=${dealId}`,
      "/api/v1/t/{tenant}/notes": `subjectType=deal&subjectId=${dealId}`,
      "/api/v1/t/{tenant}/segments/{id}/members": "",
    };
    const segment = await created(owner, `/t/${HOME}/segments`, {
      name: "Paged people",
      rules: [{ field: "tags", op: "contains", value: tag }],
    });
    const paging = documentedOperations().filter(
      (o) =>
        o.method === "get" &&
        [...(o.pathItem.parameters ?? []), ...(o.op.parameters ?? [])].some((p: Json) => p.name === "cursor"),
    );
    expect(paging.map((o) => o.path).sort()).toEqual(Object.keys(filters).sort());
    const walked: Record<string, number> = {};
    for (const { key, path, op } of paging) {
      const twoWay = "prevCursor" in op.responses["200"].content["application/json"].schema.properties;
      const url = (query: string) =>
        `${path.replace("/api/v1", "").replace("{tenant}", HOME).replace("{id}", String(segment.id))}?${filters[path]}${query}`;
      const read = async (query: string) => {
        const answer = await owner("GET", url(query));
        expect(`${key}${query} ${answer.status}`).toBe(`${key}${query} 200`);
        expect(answerProblems("GET", url(query), answer)).toEqual([]);
        return answer.json as { data: { id: number }[]; nextCursor: unknown; prevCursor?: unknown };
      };
      const all = await read("&limit=200");
      expect(all.nextCursor).toBeNull();
      expect(all.data.length).toBeGreaterThanOrEqual(3);
      const forward: { id: number }[][] = [];
      const cursors: { next: unknown; prev: unknown }[] = [];
      let query = "&limit=1";
      while (forward.length <= all.data.length) {
        const page = await read(query);
        forward.push(page.data);
        cursors.push({ next: page.nextCursor, prev: page.prevCursor });
        if (page.nextCursor === null) break;
        query = `&limit=1&cursor=${encodeURIComponent(String(page.nextCursor))}`;
      }
      expect({ key, pages: forward.map((rows) => rows.map((r) => r.id)) }).toEqual({
        key,
        pages: all.data.map((r) => [r.id]),
      });
      // Every page but the last says where the next one starts; a two-way list's pages after the first say where the one before starts.
      const kindOf = (cursor: unknown): string => (cursor === null ? "null" : typeof cursor);
      expect(cursors.map((c) => kindOf(c.next))).toEqual([...all.data.slice(1).map(() => "string"), "null"]);
      expect(cursors.map((c) => kindOf(c.prev))).toEqual(
        twoWay ? ["null", ...all.data.slice(1).map(() => "string")] : all.data.map(() => "undefined"),
      );
      if (twoWay) {
        const backward: number[] = [];
        let prev = cursors.at(-1)?.prev;
        while (typeof prev === "string" && backward.length <= all.data.length) {
          const page = await read(`&limit=1&cursor=${encodeURIComponent(prev)}`);
          backward.unshift(...page.data.map((r) => r.id));
          prev = page.prevCursor;
        }
        expect({ key, back: backward }).toEqual({ key, back: all.data.slice(0, -1).map((r) => r.id) });
        expect(prev).toBeNull();
      }
      walked[key] = forward.length;
    }
    expect(Object.keys(walked)).toHaveLength(7);
    // Search pages by kind: `limit` caps each kind, here over at least two matches of each.
    const search = async (limit: number) => {
      const url = `/t/${HOME}/search?q=paged&limit=${limit}`;
      const answer = await owner("GET", url);
      expect(answerProblems("GET", url, answer)).toEqual([]);
      const kinds = ["contact", "company", "deal", "note"] as const;
      return Object.fromEntries(kinds.map((kind) => [kind, (answer.json[kind] as unknown[]).length]));
    };
    const wide = await search(50);
    expect(Math.min(...Object.values(wide))).toBeGreaterThanOrEqual(2);
    expect(await search(1)).toEqual({ contact: 1, company: 1, deal: 1, note: 1 });
    expect(await search(50)).toEqual(wide);
  });

  it("every documented bound, length, pattern, enum and format of a query parameter is the one the server enforces", async () => {
    const ids = await recordsIn(owner, HOME);
    const requiredValues: Record<string, string> = {
      subjectType: "deal",
      subjectId: String(ids.deal),
      q: "fixture",
    };
    const probes: { key: string; name: string; value: string; valid: boolean; url: string }[] = [];
    for (const { key, path, op, pathItem } of documentedOperations().filter((o) => o.method === "get")) {
      const params: Json[] = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].filter(
        (p: Json) => p.in === "query",
      );
      for (const param of params) {
        for (const value of probeValues(param.schema)) {
          const others = params
            .filter((p: Json) => p.required && p.name !== param.name)
            .map((p: Json) => `${p.name}=${encodeURIComponent(requiredValues[p.name] ?? "")}`);
          const typed = /^-?\d+(\.\d+)?$/.test(value) && isNumeric(param.schema) ? Number(value) : value;
          probes.push({
            key,
            name: param.name,
            value,
            valid: schemaProblems(typed, param.schema).length === 0,
            url: `${path.replace("/api/v1", "").replace("{tenant}", HOME)}?${[...others, `${param.name}=${encodeURIComponent(value)}`].join("&")}`,
          });
        }
      }
    }
    // Each kind of probe occurs (so the loop below proves what its name says).
    expect(probes.filter((p) => p.valid).length).toBeGreaterThan(40);
    expect(probes.filter((p) => !p.valid).length).toBeGreaterThan(40);
    const mismatches: string[] = [];
    for (const probe of probes) {
      const response = await readOnly("GET", probe.url);
      // A value the document allows is never refused; one it forbids is a 400 naming the parameter.
      const refused = response.status === 400 && fields(response).includes(probe.name);
      const right = probe.valid ? response.status !== 400 && response.status < 500 : refused;
      if (!right)
        mismatches.push(
          `${probe.url} (${probe.valid ? "allowed" : "forbidden"} by the document): ${response.status}`,
        );
    }
    expect(mismatches).toEqual([]);
  });

  it("a path the document does not list is not answered (404 naming no record)", async () => {
    for (const [method, path] of [
      ["GET", `/t/${HOME}/stages`],
      ["GET", `/t/${HOME}/interactions/1`],
    ]) {
      const response = await owner(method as string, path as string, method === "GET" ? undefined : {});
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 404`);
      expect(response.json.detail).toBe("page not found");
    }
  });

  it("a method the document does not list on a path it does is a 405 with Allow (test/api-strict-input)", async () => {
    for (const [method, path, allow] of [
      ["PUT", `/t/${HOME}/deals/1`, "DELETE, GET, HEAD, PATCH"],
      ["POST", `/t/${HOME}/search`, "GET, HEAD"],
    ]) {
      const response = await owner(method as string, path as string, {});
      expect(`${method} ${path} ${response.status} ${response.headers.get("allow")}`).toBe(
        `${method} ${path} 405 ${allow}`,
      );
    }
  });
});

let cachedOwnerKey: string | undefined;
async function ownerKey(): Promise<string> {
  cachedOwnerKey ??= await data.apiKey(HOME, "owner");
  return cachedOwnerKey;
}
