import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { SYSTEM_ACTOR } from "../src/auth/viewer.ts";
import { createContact } from "../src/contacts/create-contact.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Lists, counts, sessions and keys are cached per shard version: whatever another process
 * writes to the file must show on the very next request.
 */
let server: TestServer;
const dir = tempDir();
let data: DataDir;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("cache-co", "owner@cache.test");
  await data.user("cache-co", "member@cache.test", "member");
  server = await startServer({ dataDir: dir.path });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("never-stale caches", () => {
  it("a list page and its count show a contact another process wrote a moment ago", async () => {
    const client = await signIn(server.url, "cache-co", "owner@cache.test");
    const before = await client.get("/t/cache-co/contacts");
    expect(before.text).toContain("0 contacts");
    await data.shards.use(data.get("cache-co"), (shard) =>
      createContact(shard, SYSTEM_ACTOR, { firstName: "Outsider", lastName: "Written", tags: [] }),
    );
    const after = await client.get("/t/cache-co/contacts");
    expect(after.text).toContain("Outsider Written");
    expect(after.text).toContain("1 contact");
  });

  it("the API list follows writes too", async () => {
    const call = api(server.url, await data.apiKey("cache-co"));
    const first = await call("GET", "/t/cache-co/contacts");
    await data.shards.use(data.get("cache-co"), (shard) =>
      createContact(shard, SYSTEM_ACTOR, { firstName: "Second", lastName: "Outsider", tags: [] }),
    );
    const second = await call("GET", "/t/cache-co/contacts");
    expect(second.json.data.length).toBe(first.json.data.length + 1);
  });

  it("a session ended or demoted by another process stops at once", async () => {
    const member = await signIn(server.url, "cache-co", "member@cache.test");
    expect((await member.get("/t/cache-co/contacts")).text).toContain(
      "member@cache.test".split("@")[0] as string,
    );
    await data.shards.use(data.get("cache-co"), (s) =>
      s.statement("UPDATE users SET role = 'read-only' WHERE email = 'member@cache.test'").run(),
    );
    const demoted = await member.get("/t/cache-co/contacts");
    expect(demoted.text).toContain("· read-only");
    expect((await member.post("/t/cache-co/contacts", { firstName: "Nope" })).status).toBe(403);
    await data.shards.use(data.get("cache-co"), (s) => s.statement("DELETE FROM sessions").run());
    expect((await member.get("/t/cache-co/contacts")).status).toBe(303);
  });

  it("an API key revoked by another process is refused at once", async () => {
    const key = await data.apiKey("cache-co");
    const call = api(server.url, key);
    expect((await call("GET", "/t/cache-co/contacts")).status).toBe(200);
    await data.shards.use(data.get("cache-co"), (s) =>
      s.statement("UPDATE api_keys SET revoked_at = 1").run(),
    );
    expect((await call("GET", "/t/cache-co/contacts")).status).toBe(401);
  });

  it("a workspace suspended in the catalog by another process is gone at once", async () => {
    await data.tenant("cache-two");
    const call = api(server.url, await data.apiKey("cache-two"));
    expect((await call("GET", "/t/cache-two/contacts")).status).toBe(200);
    data.catalog.setStatus(data.get("cache-two").id, "suspended");
    expect((await call("GET", "/t/cache-two/contacts")).status).toBe(404);
  });
});
