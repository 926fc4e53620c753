import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * The rules the OpenAPI document states for request bodies are the ones the server enforces:
 * for each rule of a field (a length, a pattern, a format, an enum, a range), a body just
 * inside it is accepted and one just past it refused (400 or 422 naming the field); and the
 * rules between fields (a task's subject pair, bulk's ids or filter, what a bulk action needs)
 * hold the same way. Whether a body is allowed is decided by the document, through a JSON
 * Schema validator, never by this test.
 */

// biome-ignore lint/suspicious/noExplicitAny: the served document is walked generically
type Json = any;

const SLUG = "bodies-home";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let doc: Json;
let owner: ReturnType<typeof api>;
let ajv: Ajv2020;
let contactId: number;
let pipelineId: number;
let stageId: number;

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  owner = api(server.url, await data.apiKey(SLUG, "owner"));
  doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
  ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addSchema({ $id: COMPONENTS, $defs: resolvable(doc.components.schemas) });
  contactId = (await owner("POST", `/t/${SLUG}/contacts`, { firstName: "Subject" })).json.id;
  const pipeline = (await owner("POST", `/t/${SLUG}/pipelines`, { name: "Probed" })).json;
  pipelineId = pipeline.id;
  stageId = pipeline.stages[0].id;
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${++counter}`;

/**
 * Operations whose bodies are probed (`path` as documented under /t/{tenant}, `{id}` filled in
 * by `id`), each with a fresh valid body (names that must be unique are).
 */
const OPERATIONS: { method: string; path: string; id?: () => number; body: () => Json }[] = [
  {
    method: "post",
    path: "/pipelines/{id}/stages",
    id: () => pipelineId,
    body: () => ({ name: unique("S"), probability: 10 }),
  },
  { method: "patch", path: "/stages/{id}", id: () => stageId, body: () => ({ probability: 20 }) },
  { method: "post", path: "/contacts", body: () => ({ firstName: "Ada" }) },
  { method: "post", path: "/companies", body: () => ({ name: "Acme" }) },
  { method: "post", path: "/deals", body: () => ({ title: "Renewal" }) },
  { method: "post", path: "/tasks", body: () => ({ title: "Call back" }) },
  {
    method: "post",
    path: "/interactions",
    body: () => ({ kind: "call", subjectType: "contact", subjectId: contactId, summary: "Spoke" }),
  },
  {
    method: "post",
    path: "/notes",
    body: () => ({ subjectType: "contact", subjectId: contactId, body: "Hi" }),
  },
  { method: "post", path: "/pipelines", body: () => ({ name: unique("P") }) },
  { method: "post", path: "/segments", body: () => ({ name: "Leads", rules: [] }) },
  {
    method: "post",
    path: "/custom-fields",
    body: () => ({ entity: "contact", key: unique("k_"), label: "Label", type: "text" }),
  },
];

const schemaOf = (method: string, path: string): Json =>
  doc.paths[`/api/v1/t/{tenant}${path}`][method].requestBody.content["application/json"].schema;

/** Values at and just past each rule a field's schema states (the non-null branch of a nullable one). */
function probeValues(schema: Json): unknown[] {
  const s = schema.anyOf?.find((b: Json) => b.type !== "null") ?? schema;
  const values: unknown[] = [];
  if (s.type === "string") {
    if (s.maxLength !== undefined) values.push("a".repeat(s.maxLength), "a".repeat(s.maxLength + 1));
    if (s.minLength) values.push("");
    if (s.pattern !== undefined) values.push("!", "Ada\u0007", "Ada\u202e");
    if (s.format === "email") values.push("ada@example.com", "not-an-email", "ada@");
    if (s.format === "date") values.push("2024-02-29", "2023-02-29", "2024-1-01");
    if (s.format === "date-time") values.push("2030-01-01T10:00:00Z", "2030-01-01", "soon");
    if (s.enum) values.push("zzz", ...s.enum);
  }
  if (s.type === "integer" || s.type === "number") {
    values.push(1.5, "1");
    if (s.minimum !== undefined) values.push(s.minimum - 1, s.minimum);
    if (s.maximum !== undefined) values.push(s.maximum, s.maximum + 1);
  }
  return values;
}

const COMPONENTS = "https://spec.test/components";
/** A schema of the document with its `$ref`s pointing at the components as the validator holds them. */
const resolvable = (schema: Json) =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS}#/$defs/`));
/** A validator of a body schema, its `$ref`s to the document's components resolving. */
const validatorFor = (schema: Json) => ajv.compile(resolvable(schema));

/** The top-level fields a validator's errors point at (a value's path, or a property found missing). */
function culprits(errors: { instancePath: string; params: Json }[]): string[] {
  return errors
    .flatMap((e) => [e.instancePath.split("/")[1] ?? "", e.params?.missingProperty ?? ""])
    .filter(Boolean);
}

/** The fields a refusal names (`errors[].field`). */
const named = (answer: { json: Json }) =>
  ((answer.json?.errors ?? []) as { field: string }[]).map((e) => e.field);

describe("request bodies", () => {
  it("every documented rule of a body field (length, pattern, format, enum, range) is the one the server enforces", async () => {
    const mismatches: string[] = [];
    let allowed = 0;
    let forbidden = 0;
    for (const { method, path, id, body } of OPERATIONS) {
      const url = `/t/${SLUG}${path.replace("{id}", String(id?.()))}`;
      const schema = schemaOf(method, path);
      const valid = validatorFor(schema);
      for (const [field, fieldSchema] of Object.entries(schema.properties as Record<string, Json>)) {
        // Ids name records that must exist, which the document cannot say: only their type is probed.
        const isId = /^(id|\w+Ids?)$/.test(field);
        for (const value of isId ? [1.5, "1", 0] : probeValues(fieldSchema)) {
          const sent = { ...body(), [field]: value };
          const ok = valid(sent) === true;
          // The fields the document blames: the probed one, or its partner in a rule between fields.
          const blamed = new Set([field, ...culprits(valid.errors ?? [])]);
          const answer = await owner(method.toUpperCase(), url, sent);
          const refused =
            (answer.status === 400 || answer.status === 422) && named(answer).some((f) => blamed.has(f));
          const right = ok ? answer.status < 300 : refused;
          if (ok) allowed++;
          else forbidden++;
          if (!right)
            mismatches.push(
              `${method.toUpperCase()} ${path} ${field}=${JSON.stringify(value).slice(0, 40)} (${ok ? "allowed" : "forbidden"} by the document): ${answer.status}`,
            );
        }
      }
    }
    // Both kinds of probe occur, many times (so the loop proves what its name says).
    expect(allowed).toBeGreaterThan(30);
    expect(forbidden).toBeGreaterThan(50);
    expect(mismatches).toEqual([]);
  });

  it("the rules between fields hold as documented: a task's subject pair, bulk's ids or filter, and what each bulk action needs", async () => {
    const cases: { method: string; path: string; body: Json }[] = [
      {
        method: "post",
        path: "/tasks",
        body: { title: "Pair", subjectType: "contact", subjectId: contactId },
      },
      { method: "post", path: "/tasks", body: { title: "Pair", subjectType: null, subjectId: null } },
      { method: "post", path: "/tasks", body: { title: "Pair", subjectType: "contact" } },
      { method: "post", path: "/tasks", body: { title: "Pair", subjectId: contactId } },
      { method: "post", path: "/tasks", body: { title: "Pair", subjectType: "contact", subjectId: null } },
      { method: "post", path: "/contacts/bulk", body: { ids: [contactId], action: "addTag", tag: "pair" } },
      { method: "post", path: "/contacts/bulk", body: { filter: { tag: "none-has-it" }, action: "delete" } },
      { method: "post", path: "/contacts/bulk", body: { ids: [contactId], filter: {}, action: "delete" } },
      { method: "post", path: "/contacts/bulk", body: { action: "addTag", tag: "pair" } },
      { method: "post", path: "/contacts/bulk", body: { ids: [contactId], action: "addTag" } },
      { method: "post", path: "/contacts/bulk", body: { ids: [contactId], action: "setOwner" } },
      {
        method: "post",
        path: "/contacts/bulk",
        body: { ids: [contactId], action: "setOwner", ownerId: null },
      },
      { method: "post", path: "/deals/bulk", body: { ids: [1], action: "moveStage" } },
    ];
    const outcomes = [];
    for (const c of cases) {
      const ok = validatorFor(schemaOf(c.method, c.path))(c.body) === true;
      const answer = await owner(c.method.toUpperCase(), `/t/${SLUG}${c.path}`, c.body);
      outcomes.push({
        sent: `${c.path} ${JSON.stringify(c.body)}`,
        document: ok ? "allowed" : "forbidden",
        server:
          answer.status < 300 ? "allowed" : [400, 422].includes(answer.status) ? "forbidden" : answer.status,
      });
    }
    expect(outcomes.filter((o) => o.document === "allowed").length).toBeGreaterThanOrEqual(4);
    expect(outcomes.filter((o) => o.document === "forbidden").length).toBeGreaterThanOrEqual(6);
    expect(outcomes.filter((o) => o.document !== o.server)).toEqual([]);
  });
});
