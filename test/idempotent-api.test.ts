import { beforeAll, describe, expect, it } from "bun:test";
import { OPENAPI_DOCUMENT } from "../src/api/openapi.ts";
import { type ApiCall, apiWorkspaces } from "./support/api-workspaces.ts";

/**
 * Idempotency-Key on every POST of the JSON API, through the real server: a retry with the
 * same key and body gets the first answer (status, body, Location, `Idempotency-Replayed:
 * true`) and writes nothing; the same key with another body is a 422; concurrent requests with
 * one key write once; keys are per API key; bad keys are a 400; a refused request stores no key.
 */
const SLUG = "keys-home";
const OTHER = "keys-other";
// Webhooks to loopback are allowed here so that POST /webhooks can succeed (nothing listens there).
const workspaces = apiWorkspaces([SLUG, OTHER], {
  CRM_WEBHOOKS_ALLOW_PRIVATE: "1",
  CRM_WEBHOOKS_ALLOW_HTTP: "1",
});
let owner: ApiCall;
let secondKey: ApiCall;
let otherWorkspace: ApiCall;

const count = (table: string) => workspaces.scalar(SLUG, `SELECT count(*) AS n FROM ${table}`);
/** Rows of every table a POST can write, and the interaction log: a replay must change none. */
const TABLES = [
  "contacts",
  "companies",
  "deals",
  "tasks",
  "notes",
  "interactions",
  "pipelines",
  "stages",
  "custom_fields",
  "segments",
  "contact_tags",
  "webhook_subscriptions",
];
const snapshot = async () =>
  Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(t)])));

let counter = 0;
const newKey = () => `key-${Date.now().toString(36)}-${++counter}`;

beforeAll(async () => {
  owner = await workspaces.key(SLUG);
  secondKey = await workspaces.key(SLUG);
  otherWorkspace = await workspaces.key(OTHER);
});

async function created(path: string, body: object): Promise<number> {
  const response = await owner("POST", path, body);
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return response.json.id as number;
}

/** Every POST route of the API with a body that succeeds once (made fresh for each route). */
async function everyPost(): Promise<{ name: string; path: string; body: object; status: number }[]> {
  const webhook = await created(`/t/${SLUG}/webhooks`, { url: "http://127.0.0.1:9/hook", events: ["*"] });
  const contact = await created(`/t/${SLUG}/contacts`, { firstName: "Ada" });
  const duplicate = await created(`/t/${SLUG}/contacts`, { firstName: "Ada", lastName: "Twice" });
  const company = await created(`/t/${SLUG}/companies`, { name: "Acme" });
  const otherCompany = await created(`/t/${SLUG}/companies`, { name: "Acme Again" });
  const pipeline = await created(`/t/${SLUG}/pipelines`, { name: `P ${newKey()}` });
  const segment = await created(`/t/${SLUG}/segments`, {
    name: `S ${newKey()}`,
    rules: [],
  });
  const subject = { subjectType: "contact", subjectId: contact };
  return [
    { name: "contact", path: `/t/${SLUG}/contacts`, body: { firstName: "Grace" }, status: 201 },
    { name: "company", path: `/t/${SLUG}/companies`, body: { name: "Initech" }, status: 201 },
    { name: "deal", path: `/t/${SLUG}/deals`, body: { title: "Big one" }, status: 201 },
    { name: "task", path: `/t/${SLUG}/tasks`, body: { title: "Call back", ...subject }, status: 201 },
    { name: "note", path: `/t/${SLUG}/notes`, body: { body: "Met at the fair", ...subject }, status: 201 },
    {
      name: "interaction",
      path: `/t/${SLUG}/interactions`,
      body: { kind: "call", summary: "Rang", ...subject },
      status: 201,
    },
    { name: "pipeline", path: `/t/${SLUG}/pipelines`, body: { name: `Renewals ${newKey()}` }, status: 201 },
    {
      name: "stage",
      path: `/t/${SLUG}/pipelines/${pipeline}/stages`,
      body: { name: "Intro", probability: 10 },
      status: 201,
    },
    {
      name: "custom field",
      path: `/t/${SLUG}/custom-fields`,
      body: { entity: "contact", key: `shoe_${counter}`, label: `Shoe size ${counter}`, type: "number" },
      status: 201,
    },
    {
      name: "segment",
      path: `/t/${SLUG}/segments`,
      body: { name: `Adas ${newKey()}`, rules: [] },
      status: 201,
    },
    {
      name: "bulk",
      path: `/t/${SLUG}/contacts/bulk`,
      body: { ids: [contact], action: "addTag", tag: `t${counter}` },
      status: 200,
    },
    {
      name: "company bulk",
      path: `/t/${SLUG}/companies/bulk`,
      body: { ids: [company], action: "addTag", tag: `c${counter}` },
      status: 200,
    },
    {
      name: "deal bulk",
      path: `/t/${SLUG}/deals/bulk`,
      body: { filter: { tag: "nothing-has-this" }, action: "addTag", tag: `d${counter}` },
      status: 200,
    },
    {
      name: "segment bulk",
      path: `/t/${SLUG}/segments/${segment}/bulk`,
      body: { action: "addTag", tag: `s${counter}` },
      status: 200,
    },
    {
      name: "contact merge",
      path: `/t/${SLUG}/contacts/${contact}/merge`,
      body: { duplicateId: duplicate },
      status: 200,
    },
    {
      name: "company merge",
      path: `/t/${SLUG}/companies/${company}/merge`,
      body: { duplicateId: otherCompany },
      status: 200,
    },
    {
      name: "contact batch",
      path: `/t/${SLUG}/contacts/batch`,
      body: { mode: "upsert", items: [{ firstName: "Lin", externalId: `crm-${newKey()}` }] },
      status: 200,
    },
    {
      name: "company batch",
      path: `/t/${SLUG}/companies/batch`,
      body: { mode: "create", items: [{ name: "Batchco" }] },
      status: 200,
    },
    {
      name: "deal batch",
      path: `/t/${SLUG}/deals/batch`,
      body: { mode: "upsert", items: [{ title: "Batch deal", externalId: `d-${newKey()}` }] },
      status: 200,
    },
    {
      name: "webhook",
      path: `/t/${SLUG}/webhooks`,
      body: { url: "http://127.0.0.1:9/other", events: ["contact.*"] },
      status: 201,
    },
    { name: "webhook secret", path: `/t/${SLUG}/webhooks/${webhook}/secret`, body: {}, status: 200 },
  ];
}

describe("Idempotency-Key on every POST", () => {
  it("tries every POST operation the OpenAPI document lists (a new one must be added above)", async () => {
    const tried = new Set(
      (await everyPost()).map((route) =>
        route.path.replace(`/t/${SLUG}`, "").replace(/\/\d+(?=\/|$)/g, "/{id}"),
      ),
    );
    const documented = Object.entries(OPENAPI_DOCUMENT.paths as Record<string, Record<string, unknown>>)
      .map(([path, item]) => [path.replace(/^.*\{tenant\}/, ""), item] as const)
      .filter(([path, item]) => item.post && path !== "/events")
      .map(([path]) => path.replace(/\{[^}]+\}/g, "{id}"));
    expect(documented.filter((path) => !tried.has(path))).toEqual([]);
  });

  it("answers a retry of every POST route with the first answer, replayed, and writes once", async () => {
    for (const route of await everyPost()) {
      const key = newKey();
      const first = await owner("POST", route.path, route.body, { "Idempotency-Key": key });
      expect({ route: route.name, status: first.status, text: first.text }).toEqual({
        route: route.name,
        status: route.status,
        text: first.text,
      });
      expect(first.headers.get("Idempotency-Replayed")).toBeNull();
      // Stored with the write: a route that forgot its key is caught here, not at run time (where
      // the middleware only logs it, its change being committed already).
      const stored = await workspaces.scalar(
        SLUG,
        "SELECT count(*) AS n FROM idempotency_keys WHERE key = ?",
        key,
      );
      expect({ route: route.name, stored }).toEqual({ route: route.name, stored: 1 });
      const before = await snapshot();
      const again = await owner("POST", route.path, route.body, { "Idempotency-Key": key });
      expect({ route: route.name, status: again.status }).toEqual({
        route: route.name,
        status: route.status,
      });
      expect(again.text).toBe(first.text);
      expect(again.headers.get("Idempotency-Replayed")).toBe("true");
      expect(again.headers.get("Location")).toBe(first.headers.get("Location"));
      expect({ route: route.name, rows: await snapshot() }).toEqual({ route: route.name, rows: before });
    }
  });

  it("gives a created record's Location again on a replay", async () => {
    const key = newKey();
    const first = await owner(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Loc" },
      { "Idempotency-Key": key },
    );
    expect(first.headers.get("Location")).toBe(`/api/v1/t/${SLUG}/contacts/${first.json.id}`);
    const again = await owner(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Loc" },
      { "Idempotency-Key": key },
    );
    expect(again.headers.get("Location")).toBe(first.headers.get("Location"));
  });

  it("refuses the same key with another body or on another route (422 problem+json), writing nothing", async () => {
    const key = newKey();
    expect(
      (await owner("POST", `/t/${SLUG}/contacts`, { firstName: "One" }, { "Idempotency-Key": key })).status,
    ).toBe(201);
    const before = await snapshot();
    const other = await owner(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Two" },
      { "Idempotency-Key": key },
    );
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    expect(other.json.detail).toContain("already used");
    const elsewhere = await owner(
      "POST",
      `/t/${SLUG}/companies`,
      { name: "One" },
      { "Idempotency-Key": key },
    );
    expect(elsewhere.status).toBe(422);
    expect(await snapshot()).toEqual(before);
  });

  it("writes once when requests with one key arrive together: the others get 409 or the replay", async () => {
    const key = newKey();
    const before = await count("contacts");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        owner("POST", `/t/${SLUG}/contacts`, { firstName: "Racer" }, { "Idempotency-Key": key }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    for (const a of answers.filter((x) => x.status === 409))
      expect(a.headers.get("content-type")).toContain("application/problem+json");
    expect(await count("contacts")).toBe(before + 1);
    const ids = new Set(answers.filter((a) => a.status === 201).map((a) => a.json.id));
    expect(ids.size).toBe(1);
  });

  it("writes a merge once when two requests with one key race (the pool's write holds the key)", async () => {
    const survivor = await created(`/t/${SLUG}/contacts`, { firstName: "Keep" });
    const duplicate = await created(`/t/${SLUG}/contacts`, { firstName: "Fold" });
    const key = newKey();
    const path = `/t/${SLUG}/contacts/${survivor}/merge`;
    const answers = await Promise.all(
      [0, 1, 2].map(() => owner("POST", path, { duplicateId: duplicate }, { "Idempotency-Key": key })),
    );
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    const merged = await workspaces.scalar(
      SLUG,
      "SELECT count(*) AS n FROM interactions WHERE kind = 'contact.merged' AND subject_id = ?",
      survivor,
    );
    expect(merged).toBe(1);
  });

  it("scopes keys to the API key: another key's same key is a new request", async () => {
    const key = newKey();
    const first = await owner(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Scoped" },
      { "Idempotency-Key": key },
    );
    const second = await secondKey(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Scoped" },
      { "Idempotency-Key": key },
    );
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotency-Replayed")).toBeNull();
    expect(second.json.id).not.toBe(first.json.id);
    const elsewhere = await otherWorkspace(
      "POST",
      `/t/${OTHER}/contacts`,
      { firstName: "Scoped" },
      { "Idempotency-Key": key },
    );
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.headers.get("Idempotency-Replayed")).toBeNull();
  });

  it("refuses bad keys with a 400 naming the header, writing nothing", async () => {
    const before = await snapshot();
    for (const bad of ["", "x".repeat(256), "has space", "tab\there", "é-accent"]) {
      const response = await owner(
        "POST",
        `/t/${SLUG}/contacts`,
        { firstName: "Bad" },
        { "Idempotency-Key": bad },
      );
      expect({ bad, status: response.status }).toEqual({ bad, status: 400 });
      expect(response.json.errors[0].field).toBe("Idempotency-Key");
    }
    expect(await snapshot()).toEqual(before);
    const longest = await owner(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Long" },
      { "Idempotency-Key": "k".repeat(255) },
    );
    expect(longest.status).toBe(201);
  });

  it("stores no key for a refused request: the corrected retry with the same key is applied", async () => {
    const key = newKey();
    const refused = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "" }, { "Idempotency-Key": key });
    expect(refused.status).toBe(422);
    const storedKeys = await count("idempotency_keys");
    const again = await owner("POST", `/t/${SLUG}/contacts`, { firstName: "" }, { "Idempotency-Key": key });
    expect(again.status).toBe(422);
    expect(await count("idempotency_keys")).toBe(storedKeys);
    const fixed = await owner(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Fixed" },
      { "Idempotency-Key": newKey() },
    );
    expect(fixed.status).toBe(201);
  });

  it("does not replay a read-only key's refused write, nor keys on other methods", async () => {
    const readOnly = await workspaces.key(SLUG, "read-only");
    const key = newKey();
    const refused = await readOnly(
      "POST",
      `/t/${SLUG}/contacts`,
      { firstName: "Nope" },
      { "Idempotency-Key": key },
    );
    expect(refused.status).toBe(403);
    const contact = await created(`/t/${SLUG}/contacts`, { firstName: "Patchy" });
    const patched = await owner(
      "PATCH",
      `/t/${SLUG}/contacts/${contact}`,
      { title: "CEO" },
      { "Idempotency-Key": "" },
    );
    expect(patched.status).toBe(200);
  });
});
