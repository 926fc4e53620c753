import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let call: ReturnType<typeof api>;
let readOnly: ReturnType<typeof api>;

const counts = () =>
  data.shards.use(data.get("api-co"), (s) =>
    s
      .statement(
        "SELECT (SELECT count(*) FROM contacts) AS contacts, (SELECT count(*) FROM companies) AS companies",
      )
      .get(),
  );

beforeAll(async () => {
  server = await startServer({ dataDir: dir.path, env: { CRM_BODY_LIMIT_BYTES: "4096" } });
  data = new DataDir(dir.path);
  await data.tenant("api-co");
  call = api(server.url, await data.apiKey("api-co", "member"));
  readOnly = api(server.url, await data.apiKey("api-co", "read-only"));
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("contacts API", () => {
  it("creates (201 with Location and the camelCase object), gets, patches and deletes a contact", async () => {
    const company = await call("POST", "/t/api-co/companies", {
      name: "Initech",
      domain: "initech.example",
      tags: ["Customer"],
    });
    expect(company.status).toBe(201);
    expect(Object.keys(company.json).sort()).toEqual(
      [
        "id",
        "name",
        "domain",
        "phone",
        "city",
        "country",
        "ownerId",
        "tags",
        "externalId",
        "customFields",
        "createdAt",
        "updatedAt",
      ].sort(),
    );
    expect(company.json.tags).toEqual(["customer"]);

    const created = await call("POST", "/t/api-co/contacts", {
      firstName: "Peter",
      lastName: "Gibbons",
      email: "Peter@Initech.example",
      companyId: company.json.id,
      tags: ["tps", "lead"],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/v1/t/api-co/contacts/${created.json.id}`);
    expect(created.json).toMatchObject({
      firstName: "Peter",
      lastName: "Gibbons",
      email: "peter@initech.example",
      phone: null,
      title: null,
      companyId: company.json.id,
      ownerId: null,
      tags: ["lead", "tps"],
    });
    expect(Object.keys(created.json).sort()).toEqual(
      [
        "id",
        "firstName",
        "lastName",
        "email",
        "phone",
        "title",
        "companyId",
        "ownerId",
        "tags",
        "externalId",
        "customFields",
        "createdAt",
        "updatedAt",
        "engagement",
      ].sort(),
    );
    // A contact answered alone (create, get, update) has its engagement; none pushed yet.
    expect(created.json.engagement).toEqual([]);
    expect(new Date(created.json.createdAt).toISOString()).toBe(created.json.createdAt);

    const got = await call("GET", `/t/api-co/contacts/${created.json.id}`);
    expect(got.json).toEqual(created.json);

    const patched = await call("PATCH", `/t/api-co/contacts/${created.json.id}`, {
      title: "Engineer",
      tags: [],
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ title: "Engineer", tags: [], firstName: "Peter" });

    expect((await call("DELETE", `/t/api-co/contacts/${created.json.id}`)).status).toBe(204);
    expect((await call("GET", `/t/api-co/contacts/${created.json.id}`)).status).toBe(404);
  });

  it("pages through a list with cursors, newest first, without repeats or gaps", async () => {
    for (let i = 0; i < 25; i++) {
      expect(
        (
          await call("POST", "/t/api-co/contacts", {
            firstName: `Page${i}`,
            lastName: "Test",
            tags: i % 2 ? ["odd"] : [],
          })
        ).status,
      ).toBe(201);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?q=page&limit=10${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await call("GET", `/t/api-co/contacts${query}`);
      expect(page.status).toBe(200);
      seen.push(...page.json.data.map((c: { id: number }) => c.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(25);
    expect(new Set(seen).size).toBe(25);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);

    const odd = await call("GET", "/t/api-co/contacts?tag=odd&limit=200");
    expect(odd.json.data.length).toBe(12);
    const byName = await call("GET", "/t/api-co/contacts?q=page&sort=name&order=asc&limit=3");
    expect(byName.json.data.map((c: { firstName: string }) => c.firstName)).toEqual([
      "Page0",
      "Page1",
      "Page10",
    ]);
  });

  it("filters by creation date: whole UTC days, both ends included", async () => {
    // Contacts created around one fixed day, straight into the file: the answer does not depend on today's date.
    const around = [
      ["Before", "2025-03-09T23:59:59.999Z"],
      ["First", "2025-03-10T00:00:00.000Z"],
      ["Last", "2025-03-10T23:59:59.999Z"],
      ["After", "2025-03-11T00:00:00.000Z"],
    ] as const;
    const ids = await data.shards.use(data.get("api-co"), (s) =>
      Object.fromEntries(
        around.map(([name, at]) => [
          name,
          (
            s
              .statement(
                "INSERT INTO contacts (first_name, last_name, created_at, updated_at) VALUES (?, 'Dated', ?, ?) RETURNING id",
              )
              .get(name, Date.parse(at), Date.parse(at)) as { id: number }
          ).id,
        ]),
      ),
    );
    const names = async (query: string) => {
      const response = await call("GET", `/t/api-co/contacts?q=dated&limit=200&${query}`);
      expect(response.status).toBe(200);
      return response.json.data.map((c: { id: number; firstName: string }) => {
        expect(ids[c.firstName]).toBe(c.id);
        return c.firstName;
      });
    };
    expect(await names("")).toEqual(["After", "Last", "First", "Before"]);
    expect(await names("createdFrom=2025-03-10&createdTo=2025-03-10")).toEqual(["Last", "First"]);
    expect(await names("createdFrom=2025-03-10")).toEqual(["After", "Last", "First"]);
    expect(await names("createdTo=2025-03-10")).toEqual(["Last", "First", "Before"]);
    expect(await names("createdFrom=2025-03-11&createdTo=2025-03-11")).toEqual(["After"]);
    expect(await names("createdTo=2001-01-01")).toEqual([]);
  });
});

describe("bad input gets a clear problem+json error and writes nothing", () => {
  it("422 names each invalid field", async () => {
    const before = await counts();
    const response = await call("POST", "/t/api-co/contacts", {
      firstName: "",
      email: "nope",
      tags: ["ok", "bad,tag"],
    });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const fields = response.json.errors.map((e: { field: string }) => e.field);
    expect(fields).toContain("firstName");
    expect(fields).toContain("email");
    expect(fields).toContain("tags.1");
    expect(await counts()).toEqual(before);
  });

  it("422 for a company or owner that is not in this workspace", async () => {
    const response = await call("POST", "/t/api-co/contacts", {
      firstName: "X",
      companyId: 999999,
      ownerId: 424242,
    });
    expect(response.status).toBe(422);
    expect(response.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      "companyId",
      "ownerId",
    ]);
  });

  it("400 for malformed JSON, and for a body that is not an object", async () => {
    const before = await counts();
    const broken = await call("POST", "/t/api-co/contacts", '{"firstName": "x",');
    expect(broken.status).toBe(400);
    expect(broken.json.detail).toContain("not valid JSON");
    expect((await call("POST", "/t/api-co/contacts", "[1,2]")).status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it("415 for a body that is not JSON", async () => {
    const response = await call("POST", "/t/api-co/contacts", "firstName=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(response.status).toBe(415);
  });

  it("413 for a body over the limit, with or without Content-Length", async () => {
    const before = await counts();
    const big = JSON.stringify({ firstName: "x", title: "y".repeat(10_000) });
    const response = await call("POST", "/t/api-co/contacts", big);
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/api/v1/t/api-co/contacts`, {
      method: "POST",
      body: stream,
      headers: {
        authorization: await data.apiKey("api-co").then((k) => `Bearer ${k}`),
        "content-type": "application/json",
      },
    });
    expect(chunked.status).toBe(413);
    expect(await counts()).toEqual(before);
  });

  it("ignores mass-assigned id, tenant, role and timestamps", async () => {
    const response = await call("POST", "/t/api-co/contacts", {
      firstName: "Mass",
      id: 1,
      tenant: "other",
      role: "owner",
      createdAt: "2000-01-01T00:00:00.000Z",
    });
    expect(response.status).toBe(201);
    expect(response.json.id).not.toBe(1);
    expect(response.json.createdAt).not.toBe("2000-01-01T00:00:00.000Z");
    expect(response.json).not.toHaveProperty("role");
    const patched = await call("PATCH", `/t/api-co/contacts/${response.json.id}`, {
      id: 5,
      firstName: "Massive",
    });
    expect(patched.json.id).toBe(response.json.id);
  });

  it("400 for a sort or filter outside the allow-list, naming it", async () => {
    for (const query of [
      "sort=password_hash",
      "sort=email;drop table contacts",
      "order=sideways",
      "limit=0",
      "limit=1000",
      "ownerId=abc",
      "createdFrom=yesterday",
      "frobnicate=1",
    ]) {
      const response = await call("GET", `/t/api-co/contacts?${query}`);
      expect(response.status).toBe(400);
      expect(response.json.detail).toContain(query.split("=")[0] as string);
      expect(response.json.errors[0].field).toBe(query.split("=")[0] as string);
    }
  });

  it("400 for a tampered or foreign cursor", async () => {
    const first = await call("GET", "/t/api-co/contacts?limit=1");
    const cursor = first.json.nextCursor as string;
    expect((await call("GET", `/t/api-co/contacts?cursor=${cursor}x!`)).status).toBe(400);
    expect((await call("GET", `/t/api-co/contacts?cursor=AAAA`)).status).toBe(400);
    expect((await call("GET", `/t/api-co/contacts?cursor=${cursor}&sort=name`)).status).toBe(400);
  });

  it("401 for an unknown workspace (as for a wrong key: test/api-rate-limit-contract), 404 for ids that do not exist", async () => {
    expect((await call("GET", "/t/no-such-co/contacts")).status).toBe(401);
    expect((await call("GET", "/t/api-co/contacts/99999999")).status).toBe(404);
    expect((await call("GET", "/t/api-co/contacts/abc")).status).toBe(404);
    expect((await call("PATCH", "/t/api-co/contacts/99999999", { firstName: "x" })).status).toBe(404);
    expect((await call("DELETE", "/t/api-co/companies/99999999")).status).toBe(404);
  });

  it("search input made of FTS syntax gives results or an empty list, never a 500", async () => {
    for (const q of [
      '"',
      "*",
      "NEAR(",
      "-",
      "a OR",
      '"unterminated',
      "(((",
      "^",
      "col:value",
      "'; DROP TABLE contacts; --",
    ]) {
      const response = await call("GET", `/t/api-co/contacts?q=${encodeURIComponent(q)}`);
      expect(response.status).toBe(200);
      expect(Array.isArray(response.json.data)).toBe(true);
    }
  });

  it("401 without a key, with a wrong key, or with a revoked one", async () => {
    const anonymous = await fetch(`${server.url}/api/v1/t/api-co/contacts`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");
    const tenantId = data.get("api-co").id;
    expect(
      (await api(server.url, `crm_${tenantId}_${"A".repeat(43)}`)("GET", "/t/api-co/contacts")).status,
    ).toBe(401);
    const key = await data.apiKey("api-co");
    await data.shards.use(data.get("api-co"), (s) => s.statement("UPDATE api_keys SET revoked_at = 1").run());
    expect((await api(server.url, key)("GET", "/t/api-co/contacts")).status).toBe(401);
    call = api(server.url, await data.apiKey("api-co", "member"));
    readOnly = api(server.url, await data.apiKey("api-co", "read-only"));
  });

  it("403 for a read-only key on every write, and nothing is written", async () => {
    const before = await counts();
    expect((await readOnly("POST", "/t/api-co/contacts", { firstName: "No" })).status).toBe(403);
    expect((await readOnly("POST", "/t/api-co/companies", { name: "No" })).status).toBe(403);
    const anyId = (await readOnly("GET", "/t/api-co/contacts?limit=1")).json.data[0].id;
    expect((await readOnly("PATCH", `/t/api-co/contacts/${anyId}`, { firstName: "No" })).status).toBe(403);
    expect((await readOnly("DELETE", `/t/api-co/contacts/${anyId}`)).status).toBe(403);
    expect(await counts()).toEqual(before);
  });
});

describe("OpenAPI", () => {
  it("documents every contacts and companies operation", async () => {
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths["/api/v1/t/{tenant}/contacts"] ?? {})).toEqual(
      expect.arrayContaining(["get", "post"]),
    );
    expect(Object.keys(doc.paths["/api/v1/t/{tenant}/companies/{id}"] ?? {})).toEqual(
      expect.arrayContaining(["get", "patch", "delete"]),
    );
  });
});
