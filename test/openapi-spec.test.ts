import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * The OpenAPI document as integrators' tools read it: valid by the OpenAPI 3.1 schema itself,
 * ids that fit 64 bits, cursors that are strings, every answer's fields listed as always sent,
 * every status the server can send documented, problem types that lead somewhere, and
 * `servers` filled in. (test/api-crm.test.ts checks the server's answers against it.)
 */

// biome-ignore lint/suspicious/noExplicitAny: the served document is walked generically
type Json = any;

const SLUG = "spec-home";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let doc: Json;

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path });
  data = new DataDir(dir.path);
  await data.tenant(SLUG);
  doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

const METHODS = ["get", "put", "post", "delete", "patch"];

function operations(): { key: string; path: string; method: string; op: Json; parameters: Json[] }[] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]: [string, Json]) => ({
        key: `${method.toUpperCase()} ${path}`,
        path,
        method,
        op,
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])],
      })),
  );
}

/** Every schema in `root` with where it is, depth first (properties, items, combinators, $defs). */
function* schemasIn(
  root: Json,
  where: string,
  name?: string,
): Generator<{ schema: Json; where: string; name?: string }> {
  if (root === null || typeof root !== "object" || Array.isArray(root)) return;
  yield { schema: root, where, name };
  for (const [prop, s] of Object.entries(root.properties ?? {}))
    yield* schemasIn(s, `${where}.${prop}`, prop);
  if (root.items) yield* schemasIn(root.items, `${where}[]`, name);
  if (typeof root.additionalProperties === "object")
    yield* schemasIn(root.additionalProperties, `${where}{}`);
  for (const key of ["anyOf", "oneOf", "allOf"])
    for (const [i, s] of (root[key] ?? []).entries()) yield* schemasIn(s, `${where}/${key}/${i}`, name);
}

/** The schemas of every answer the document describes (success and problem), components included. */
function answerSchemas(): { schema: Json; where: string; name?: string }[] {
  const found = Object.entries(doc.components.schemas).flatMap(([name, s]) => [
    ...schemasIn(s, `#/components/schemas/${name}`),
  ]);
  for (const { key, op } of operations())
    for (const [status, response] of Object.entries(op.responses as Record<string, Json>))
      for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>))
        found.push(...schemasIn(media.schema, `${key} ${status} ${type}`));
  return found;
}

const typesOf = (schema: Json): string[] => [schema.type ?? []].flat();

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 by the specification's own schema, with every $ref resolving (and a broken copy is refused)", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(() => validator.resolveRefs()).not.toThrow();

    // The validator has teeth: a response without its description, and a parameter in no place, are refused.
    const broken = structuredClone(doc);
    delete broken.paths["/api/v1/t/{tenant}/contacts"].get.responses["200"].description;
    broken.paths["/api/v1/t/{tenant}/contacts"].get.parameters[0].in = "nowhere";
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("states every id as a 64-bit integer, in answers, bodies and parameters", () => {
    const ids = /^(id|\w+Ids?)$/;
    const wrong: string[] = [];
    const check = (schema: Json, where: string) => {
      if (typesOf(schema).includes("integer") && schema.format !== "int64") wrong.push(where);
    };
    const bodies = operations().flatMap(({ key, op }) =>
      Object.values((op.requestBody?.content ?? {}) as Record<string, Json>).flatMap((m) => [
        ...schemasIn(m.schema, `${key} body`),
      ]),
    );
    let seen = 0;
    for (const { schema, where, name } of [...answerSchemas(), ...bodies])
      if (name && ids.test(name) && !where.includes("/allOf/") && !where.includes("/oneOf/")) {
        seen++;
        check(schema, where);
      }
    for (const { key, parameters } of operations())
      for (const p of parameters)
        if (ids.test(p.name)) {
          seen++;
          check(p.schema, `${key} ${p.in} ${p.name}`);
        }
    expect(seen).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });

  it("states every cursor as a string: the `cursor` parameter and the `nextCursor`/`prevCursor` a page answers", () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const { key, parameters } of operations())
      for (const p of parameters.filter((p: Json) => p.name === "cursor" || p.name === "after")) {
        seen++;
        if (p.schema.type !== "string" && p.schema.$ref !== "#/components/schemas/Cursor")
          wrong.push(`${key} ${p.name}: ${JSON.stringify(p.schema)}`);
      }
    for (const { schema, where, name } of answerSchemas())
      if (name === "nextCursor" || name === "prevCursor") {
        seen++;
        // A list that always fits on one page says so with `type: "null"`.
        if (!typesOf(schema).every((t) => t === "string" || t === "null"))
          wrong.push(`${where}: ${schema.type}`);
      }
    expect(seen).toBeGreaterThanOrEqual(10);
    expect(wrong).toEqual([]);
  });

  it("lists, for every object an answer holds, the fields always sent (`required`, nullable ones too) and admits no others; a field sometimes left out says when", () => {
    const wrong: string[] = [];
    let objects = 0;
    for (const { schema, where } of answerSchemas()) {
      if (!schema.properties || !typesOf(schema).includes("object")) continue;
      // The branches of a combinator (a segment rule or a group) are objects of their own.
      objects++;
      if (!Array.isArray(schema.required)) wrong.push(`${where}: no required list`);
      if (schema.additionalProperties !== false) wrong.push(`${where}: additionalProperties is not false`);
      for (const [prop, s] of Object.entries(schema.properties as Record<string, Json>))
        if (!(schema.required ?? []).includes(prop) && !s.description && !s.$ref)
          wrong.push(`${where}.${prop}: optional, without a description saying when it is sent`);
    }
    expect(objects).toBeGreaterThan(30);
    expect(wrong).toEqual([]);
  });

  it("documents on every operation what any request can meet (401, 404, 429 and 503 with Retry-After, 431, 500), and on every write 403, 413, 415 and 422", () => {
    const shared = doc.components.responses;
    expect(shared.TooManyRequests.headers["Retry-After"].required).toBe(true);
    expect(shared.ServiceUnavailable.headers["Retry-After"].required).toBe(true);
    expect(shared.Unauthorized.headers["WWW-Authenticate"].required).toBe(true);
    expect(shared.RequestHeaderFieldsTooLarge.content).toBeUndefined();
    const missing: string[] = [];
    for (const { key, path, method, op } of operations()) {
      const statuses = Object.keys(op.responses);
      const wanted = ["429", "431", "500"];
      if (path.startsWith("/api/v1/t/")) wanted.push("400", "401", "404", "503");
      if (path.startsWith("/api/v1/t/") && method !== "get") wanted.push("403");
      if (op.requestBody) wanted.push("413", "415", "422");
      for (const status of wanted) if (!statuses.includes(status)) missing.push(`${key} ${status}`);
      // A problem is a shared response, or (where it carries more, as a refused batch's `results`)
      // a problem+json whose schema keeps every field of Problem.
      const problemFields: string[] = doc.components.schemas.Problem.required;
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        if (status < "400" || response.$ref?.startsWith("#/components/responses/")) continue;
        const required: string[] = response.content?.["application/problem+json"]?.schema?.required ?? [];
        if (!problemFields.every((f) => required.includes(f)))
          missing.push(
            `${key} ${status}: not a shared response (problemResponses() in src/api/openapi/problems.ts)`,
          );
      }
    }
    expect(missing).toEqual([]);
  });

  it("names each kind of problem by a `type` that answers GET with its description, the Problem schema lists exactly those, and the README documents each", async () => {
    const list = await fetch(`${server.url}/api/v1/problems`);
    expect(list.status).toBe(200);
    const kinds = (await list.json()).data as { type: string; kind: string; status: number; title: string }[];
    expect(kinds.map((k) => k.type)).toEqual(doc.components.schemas.Problem.properties.type.enum);
    for (const wanted of [
      "validation",
      "not-found",
      "rate-limited",
      "unauthorized",
      "forbidden",
      "malformed",
    ])
      expect(kinds.map((k) => k.kind)).toContain(wanted);
    const readme = await Bun.file(new URL("../README.md", import.meta.url)).text();
    for (const kind of kinds) {
      expect(kind.type).toBe(`/api/v1/problems/${kind.kind}`);
      const page = await fetch(`${server.url}${kind.type}`);
      expect(page.status).toBe(200);
      expect(await page.json()).toMatchObject({ type: kind.type, status: kind.status, title: kind.title });
      expect(`${kind.kind} in README ${readme.includes(`\`${kind.kind}\``)}`).toBe(
        `${kind.kind} in README true`,
      );
    }
    // Anything else is a plain 404 problem, whatever it looks like (names of Object's own members included).
    for (const kind of [
      "no-such-kind",
      "__proto__",
      "constructor",
      "toString",
      "VALIDATION",
      "validation%00",
      "..%2F..%2Fopenapi.json",
      "x".repeat(5000),
    ]) {
      const unknown = await fetch(`${server.url}/api/v1/problems/${kind}`);
      expect(`${kind.slice(0, 20)} ${unknown.status}`).toBe(`${kind.slice(0, 20)} 404`);
      expect(await unknown.json()).toMatchObject({ type: "/api/v1/problems/not-found", status: 404 });
    }
  });

  it("fills in `servers` (the host it came from; a deployment's public URL first), and every path starts where the API is", async () => {
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    for (const path of Object.keys(doc.paths)) expect(path.startsWith("/api/v1/")).toBe(true);
    const other = tempDir();
    const deployed = await startServer({
      dataDir: other.path,
      env: { CRM_PUBLIC_URL: "https://crm.example.com/" },
    });
    try {
      const served = await (await fetch(`${deployed.url}/api/v1/openapi.json`)).json();
      expect(served.servers.map((s: { url: string }) => s.url)).toEqual(["https://crm.example.com", "/"]);
    } finally {
      await deployed.stop();
      other.remove();
    }
  });
});

describe("answers the document promises", () => {
  it("a 429 carries Retry-After and a rate-limited problem, as documented", async () => {
    const other = tempDir();
    const limited = await startServer({
      dataDir: other.path,
      env: { CRM_RATE_LIMIT_PER_WORKSPACE: "1", CRM_RATE_LIMIT_BURST_SECONDS: "1" },
    });
    const workspace = new DataDir(other.path);
    try {
      await workspace.tenant(SLUG);
      const call = api(limited.url, await workspace.apiKey(SLUG, "owner"));
      let answer = await call("GET", `/t/${SLUG}/contacts`);
      for (let i = 0; i < 20 && answer.status !== 429; i++) answer = await call("GET", `/t/${SLUG}/contacts`);
      expect(answer.status).toBe(429);
      expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
      addFormats(ajv);
      const problem = ajv.compile(doc.components.schemas.Problem);
      expect(problem(answer.json) ? [] : problem.errors).toEqual([]);
      expect(answer.json).toMatchObject({ type: "/api/v1/problems/rate-limited", status: 429 });
      expect(doc.paths["/api/v1/t/{tenant}/contacts"].get.responses["429"].$ref).toBe(
        "#/components/responses/TooManyRequests",
      );
    } finally {
      await limited.stop();
      workspace.close();
      other.remove();
    }
  });
});
