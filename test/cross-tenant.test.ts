import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { searchAll } from "../src/search/search-all.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Tenant A's session and API key against tenant B's record ids, on every route that takes
 * an id: always a 404 with none of B's data, B unchanged, and B's file never even opened.
 */
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let alice: BrowserClient;
let aliceApi: ReturnType<typeof api>;
let aliceKey: string;
const bContacts: number[] = [];
const bCompanies: number[] = [];
let bSnapshot: Awaited<ReturnType<typeof snapshot>>;

const snapshot = (slug: string) =>
  data.shards.use(data.get(slug), (s) => ({
    contacts: s.statement("SELECT * FROM contacts ORDER BY id").all(),
    companies: s.statement("SELECT * FROM companies ORDER BY id").all(),
    tags: s.statement("SELECT * FROM contact_tags ORDER BY contact_id, tag_id").all(),
  }));

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("tenant-a", "alice@a.test");
  await data.tenant("tenant-b", "bob@b.test");
  const bApi = await data.apiKey("tenant-b");
  aliceKey = await data.apiKey("tenant-a");
  server = await startServer({ dataDir: dir.path });
  const a = api(server.url, aliceKey);
  for (let i = 0; i < 2; i++) await a("POST", "/t/tenant-a/contacts", { firstName: `A${i}` });
  await a("POST", "/t/tenant-a/companies", { name: "A Co" });
  const b = api(server.url, bApi);
  for (let i = 0; i < 3; i++)
    bCompanies.push((await b("POST", "/t/tenant-b/companies", { name: `Secret B Co ${i}` })).json.id);
  for (let i = 0; i < 6; i++) {
    bContacts.push(
      (
        await b("POST", "/t/tenant-b/contacts", {
          firstName: `SecretB${i}`,
          email: `b${i}@b.test`,
          companyId: bCompanies[0],
        })
      ).json.id,
    );
  }
  bSnapshot = await snapshot("tenant-b");
  // Restart so no shard is open, then let only Alice in.
  await server.stop();
  server = await startServer({ dataDir: dir.path });
  alice = await signIn(server.url, "tenant-a", "alice@a.test");
  aliceApi = api(server.url, aliceKey);
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

/** Every one of B's ids: ids start at a random point per workspace, so none is also one of A's. */
const foreign = () => [
  ...bContacts.map((id) => ["contacts", id] as const),
  ...bCompanies.map((id) => ["companies", id] as const),
];

function expectNoSecrets(text: string) {
  expect(text).not.toContain("SecretB");
  expect(text).not.toContain("Secret B Co");
  expect(text).not.toContain("@b.test");
}

describe("tenant A's credentials, tenant B's ids", () => {
  it("every page route answers 404 with none of B's data", async () => {
    expect(foreign()).toHaveLength(9);
    for (const [kind, id] of foreign()) {
      for (const path of [
        `/${kind}/${id}`,
        `/${kind}/${id}/row`,
        `/${kind}/${id}/edit`,
        `/${kind}/${id}/edit?fragment=row`,
        `/${kind}/${id}/delete`,
      ]) {
        const response = await alice.get(`/t/tenant-a${path}`);
        expect([path, response.status]).toEqual([path, 404]);
        expectNoSecrets(response.text);
      }
      const htmxRow = await alice.htmx("GET", `/t/tenant-a/${kind}/${id}/row`);
      expect(htmxRow.status).toBe(404);
      expectNoSecrets(htmxRow.text);
      const update = await alice.post(`/t/tenant-a/${kind}/${id}`, {
        firstName: "Pwned",
        name: "Pwned",
        ownerId: "",
        tags: "",
      });
      expect(update.status).toBe(404);
      const remove = await alice.post(`/t/tenant-a/${kind}/${id}/delete`, {});
      expect(remove.status).toBe(404);
      expect((await alice.htmx("POST", `/t/tenant-a/${kind}/${id}/delete`)).status).toBe(404);
    }
  });

  it("every API route answers 404 with none of B's data", async () => {
    expect(foreign()).toHaveLength(9);
    for (const [kind, id] of foreign()) {
      for (const [method, body] of [
        ["GET", undefined],
        ["PATCH", { firstName: "Pwned", name: "Pwned" }],
        ["DELETE", undefined],
      ] as const) {
        const response = await aliceApi(method, `/t/tenant-a/${kind}/${id}`, body);
        expect([method, kind, response.status]).toEqual([method, kind, 404]);
        expectNoSecrets(response.text);
      }
    }
  });

  it("cannot link A's contact to B's company", async () => {
    const response = await aliceApi("POST", "/t/tenant-a/contacts", {
      firstName: "Linker",
      companyId: bCompanies[2],
    });
    expect(response.status).toBe(422);
    expect(response.json.errors[0].field).toBe("companyId");
  });

  it("search and lists show only A's records", async () => {
    // The query does find B's people in B's own file (read here, not through the server).
    const inB = await data.shards.use(
      data.get("tenant-b"),
      (s) => searchAll(s, "secretb", 20).contact.length,
    );
    expect(inB).toBe(6);
    const list = await aliceApi("GET", "/t/tenant-a/contacts?q=secretb");
    expect(list.status).toBe(200);
    expect(list.json.data).toEqual([]);
    const page = await alice.get("/t/tenant-a/contacts?q=secret");
    expect(page.status).toBe(200);
    expectNoSecrets(page.text);
    const search = await alice.get("/t/tenant-a/search?q=secretb");
    expect(search.status).toBe(200);
    expectNoSecrets(search.text);
    // The unfiltered list is A's two people, and only them.
    const all = await aliceApi("GET", "/t/tenant-a/contacts?limit=200");
    expect(all.json.data.map((c: { firstName: string }) => c.firstName).sort()).toEqual(["A0", "A1"]);
  });

  it("never opened B's file", async () => {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
      openShards: number;
      shardOpens: number;
    };
    expect(ready.openShards).toBe(1);
    expect(ready.shardOpens).toBe(1);
  });
});

describe("tenant A's credentials on tenant B's URLs", () => {
  it("A's API key is refused for B before B's file is opened", async () => {
    for (const path of [
      "/t/tenant-b/contacts",
      `/t/tenant-b/contacts/${bContacts[0]}`,
      "/t/tenant-b/companies",
    ]) {
      const response = await aliceApi("GET", path);
      expect(response.status).toBe(401);
      expectNoSecrets(response.text);
    }
    expect((await aliceApi("POST", "/t/tenant-b/contacts", { firstName: "Pwned" })).status).toBe(401);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { shardOpens: number };
    expect(ready.shardOpens).toBe(1);
  });

  it("A's session cookie, replayed against B, is no session there", async () => {
    const token = alice.cookie("crm_session") as string;
    const headers = { cookie: `crm_session=${token}` };
    for (const path of [
      "/t/tenant-b/contacts",
      `/t/tenant-b/contacts/${bContacts[0]}`,
      "/t/tenant-b/settings/users",
    ]) {
      const response = await fetch(`${server.url}${path}`, { headers, redirect: "manual" });
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toStartWith("/t/tenant-b/login");
      expectNoSecrets(await response.text());
    }
  });

  it("left B exactly as it was", async () => {
    expect(await snapshot("tenant-b")).toEqual(bSnapshot);
  });
});
