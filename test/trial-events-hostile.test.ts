import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { pack } from "msgpackr";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * POST /api/v1/t/<slug>/events as a hostile client would send it, through the real server:
 * impossible dates, bytes that are not UTF-8, msgpack bombs, keys from elsewhere. Each refusal
 * writes nothing, and the server keeps answering.
 */
const HOME = "trial-hostile";
const OTHER = "trial-hostile-other";
const MIB = 1024 * 1024;

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let member: string;
let otherMember: string;

/** Event rows in a workspace's file. */
async function events(slug = HOME): Promise<number> {
  return await data.shards.use(data.get(slug), (s) => {
    const row = s.statement("SELECT count(*) AS n FROM events").get() as { n: number };
    return row.n;
  });
}

async function post(
  body: Uint8Array | string,
  contentType: string,
  headers: Record<string, string> = {},
  key = member,
  slug = HOME,
) {
  const response = await fetch(`${server.url}/api/v1/t/${slug}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": contentType, ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) };
}

const json = (value: unknown) => post(JSON.stringify(value), "application/json");
/** `head` followed by zero bytes up to `size`: a header that promises more than the body holds. */
function padded(head: number[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(head);
  return bytes;
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant(OTHER);
  await data.user(HOME, "member@trial-hostile.test", "member");
  member = await data.apiKey(HOME, "member");
  otherMember = await data.apiKey(OTHER, "member");
  server = await startServer({ dataDir: dir.path });
  const created = await api(server.url, member)("POST", `/t/${HOME}/contacts`, {
    firstName: "Ada",
    email: "ada@example.com",
  });
  expect(created.status).toBe(201);
  const elsewhere = await api(server.url, otherMember)("POST", `/t/${OTHER}/contacts`, {
    firstName: "Ada",
    email: "ada@example.com",
  });
  expect(elsewhere.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("event ingest against hostile input", () => {
  it("refuses a date that does not exist (30 February, 31 April) instead of storing another day", async () => {
    const year = new Date().getUTCFullYear() - 1;
    const before = await events();
    const answer = await json([
      { type: "web.visit", email: "ada@example.com", occurredAt: `${year}-02-30T12:00:00Z` },
      { type: "web.visit", email: "ada@example.com", occurredAt: `${year}-04-31T12:00:00+02:00` },
      { type: "web.visit", email: "ada@example.com", occurredAt: `${year}-04-30T12:00:00Z` },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      stored: 1,
      rejected: [
        { index: 0, field: "occurredAt", message: "is not a real date" },
        { index: 1, field: "occurredAt", message: "is not a real date" },
      ],
    });
    expect(await events()).toBe(before + 1);
  });

  it("refuses a JSON body that is not UTF-8 (400), storing nothing", async () => {
    const before = await events();
    const encoder = new TextEncoder();
    const body = new Uint8Array([
      ...encoder.encode('[{"type":"web.visit","email":"ada@example.com","title":"caf'),
      0xe9,
      ...encoder.encode('"}]'),
    ]);
    const answer = await post(body, "application/json");
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toContain("application/problem+json");
    expect(answer.json.detail).toBe("the body is not valid JSON");
    expect(answer.json.errors).toEqual([{ field: "body", message: "the body is not valid JSON" }]);
    expect(await events()).toBe(before);
  });

  it("answers msgpack bombs and odd extensions with a 400 at once, storing nothing and serving on", async () => {
    const before = await events();
    const bombs = [
      padded([0xdd, 0xff, 0xff, 0xff, 0xff], 4 * MIB - 16), // an array of 2^32 − 1 items
      padded([0xdf, 0xff, 0xff, 0xff, 0xff], 4 * MIB - 16), // a map of 2^32 − 1 pairs
      padded([0x91, 0xdb, 0xff, 0xff, 0xff, 0xff], 1024), // a 4 GiB string
      new Uint8Array(4 * MIB - 16).fill(0x91), // four million nested arrays
      new Uint8Array([0x91, 0xd4, 0x05, 0x00]), // an unknown extension type
      new Uint8Array([0x91, 0xd5, 0x65, 0x91, 0x01]), // msgpackr's error extension, malformed
    ];
    for (const bomb of bombs) {
      const answer = await post(bomb, "application/msgpack");
      expect(answer.status).toBe(400);
      expect(answer.json.detail).toBe("the body is not valid msgpack");
      expect(answer.json.errors[0].field).toBe("body");
    }
    expect(await events()).toBe(before);
    const fine = await post(
      pack([{ type: "web.visit", email: "ada@example.com", occurredAt: new Date() }]),
      "application/msgpack",
    );
    expect(fine.json).toEqual({ stored: 1, rejected: [] });
  });

  it("takes nothing from __proto__ or a duplicated key but the last value, and never a prototype's type", async () => {
    const before = await events();
    const answer = await post(
      '[{"__proto__":{"type":"web.visit"},"email":"ada@example.com"},{"type":"bogus","type":"email.opened","email":"nobody@x.test","email":"ada@example.com"}]',
      "application/json",
    );
    expect(answer.json).toEqual({
      stored: 1,
      rejected: [
        {
          index: 0,
          field: "type",
          message: "must be one of web.visit, email.opened, email.clicked, form.submitted",
        },
      ],
    });
    expect(await events()).toBe(before + 1);
  });

  it("keeps a key per API key and per workspace, and refuses a session cookie or a revoked key", async () => {
    const batch = JSON.stringify([{ type: "email.clicked", email: "ada@example.com" }]);
    const second = await data.apiKey(HOME, "member");
    const before = { home: await events(), other: await events(OTHER) };
    const first = await post(batch, "application/json", { "idempotency-key": "batch-1" });
    const again = await post(batch, "application/json", { "idempotency-key": "batch-1" });
    const bySecond = await post(batch, "application/json", { "idempotency-key": "batch-1" }, second);
    const elsewhere = await post(
      batch,
      "application/json",
      { "idempotency-key": "batch-1" },
      otherMember,
      OTHER,
    );
    expect([first.status, again.status, bySecond.status, elsewhere.status]).toEqual([200, 200, 200, 200]);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(again.json).toEqual(first.json);
    expect(bySecond.headers.get("idempotency-replayed")).toBeNull();
    expect(await events()).toBe(before.home + 2);
    expect(await events(OTHER)).toBe(before.other + 1);

    const browser = await signIn(server.url, HOME, "member@trial-hostile.test");
    expect(browser.cookie("crm_session")).toBeTruthy();
    const withCookie = await fetch(`${server.url}/api/v1/t/${HOME}/events`, {
      method: "POST",
      headers: { cookie: `crm_session=${browser.cookie("crm_session")}`, "content-type": "application/json" },
      body: batch,
    });
    expect(withCookie.status).toBe(401);
    await data.shards.use(data.get(HOME), (s) =>
      s
        .statement("UPDATE api_keys SET revoked_at = ? WHERE key_hash = ?")
        .run(Date.now(), new Bun.CryptoHasher("sha256").update(second).digest("hex")),
    );
    const revoked = await post(batch, "application/json", {}, second);
    expect(revoked.status).toBe(401);
    expect(await events()).toBe(before.home + 2);
  });
});
