import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { pack } from "msgpackr";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * POST /api/v1/t/<slug>/events through the real server and its worker threads: batches in JSON
 * and msgpack stored in the workspace's `events` with each contact's engagement summed up,
 * per-event refusals beside stored events, the Idempotency-Key, and requests refused whole
 * (nothing written).
 */
const HOME = "events-co";
const OTHER = "events-other";
const DAY = 24 * 60 * 60 * 1000;

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let member: string;
let call: ReturnType<typeof api>;
let readOnly: ReturnType<typeof api>;
let otherCall: ReturnType<typeof api>;
const ids: Record<string, number> = {};

/** The event rows and stored keys of a workspace, read from its file. */
async function stored(slug = HOME) {
  return await data.shards.use(data.get(slug), (s) => ({
    events: (s.statement("SELECT count(*) AS n FROM events").get() as { n: number }).n,
    keys: (s.statement("SELECT count(*) AS n FROM idempotency_keys").get() as { n: number }).n,
  }));
}

/** A contact's events as stored (oldest id first). */
async function eventsOf(contactId: number) {
  return await data.shards.use(
    data.get(HOME),
    (s) =>
      s
        .statement(
          `SELECT id, kind, contact_id AS contactId, actor_type AS actorType, occurred_at AS occurredAt, payload
           FROM events WHERE contact_id = ? ORDER BY id`,
        )
        .all(contactId) as {
        id: number;
        kind: string;
        contactId: number;
        actorType: string;
        occurredAt: number;
        payload: string;
      }[],
  );
}

/** A contact's engagement summary, per kind. */
async function engagementOf(contactId: number) {
  return await data.shards.use(data.get(HOME), (s) =>
    Object.fromEntries(
      (
        s
          .statement(
            `SELECT kind, count, first_at AS firstAt, last_at AS lastAt, last_payload AS lastPayload
             FROM contact_engagement WHERE contact_id = ?`,
          )
          .all(contactId) as {
          kind: string;
          count: number;
          firstAt: number;
          lastAt: number;
          lastPayload: string;
        }[]
      ).map(({ kind, ...rest }) => [kind, { ...rest, lastPayload: JSON.parse(rest.lastPayload) }]),
    ),
  );
}

/** Posts raw bytes (a msgpack body, or text sent as is) with the member key. */
async function post(body: Uint8Array | string, contentType: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/api/v1/t/${HOME}/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${member}`, "content-type": contentType, ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) };
}

const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  await data.tenant(OTHER);
  member = await data.apiKey(HOME, "member");
  server = await startServer({ dataDir: dir.path });
  call = api(server.url, member);
  readOnly = api(server.url, await data.apiKey(HOME, "read-only"));
  otherCall = api(server.url, await data.apiKey(OTHER, "member"));
  for (const [name, email] of [
    ["ada", "ada@example.com"],
    ["bob", "bob@example.com"],
  ] as const) {
    const created = await call("POST", `/t/${HOME}/contacts`, { firstName: name, email });
    expect(created.status).toBe(201);
    ids[name] = created.json.id;
  }
  // The other workspace holds more contacts, so its last one's id is no contact of this one.
  for (const name of ["one", "two", "stranger"]) {
    const created = await otherCall("POST", `/t/${OTHER}/contacts`, {
      firstName: name,
      email: `${name}@example.com`,
    });
    expect(created.status).toBe(201);
    ids[name] = created.json.id;
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("event ingest", () => {
  it("stores a JSON batch on the contacts' timelines, matching emails in any case", async () => {
    const before = await stored();
    const at = Date.now() - 60_000;
    const answer = await call("POST", `/t/${HOME}/events`, [
      {
        type: "web.visit",
        email: "ADA@Example.com",
        occurredAt: iso(at),
        url: "https://shop.example/pricing",
      },
      { type: "email.opened", contactId: ids.bob, occurredAt: at, campaign: "Spring sale" },
      { type: "form.submitted", email: "bob@example.com", contactId: ids.bob, form: "Demo request" },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ stored: 3, rejected: [] });
    expect(answer.headers.get("idempotency-replayed")).toBeNull();
    expect((await stored()).events).toBe(before.events + 3);

    const ada = await eventsOf(ids.ada as number);
    expect(ada).toEqual([
      {
        id: expect.any(Number),
        kind: "web.visit",
        contactId: ids.ada as number,
        actorType: "api_key",
        occurredAt: at,
        payload: JSON.stringify({ url: "https://shop.example/pricing" }),
      },
    ]);
    const bob = await eventsOf(ids.bob as number);
    expect(bob.map((e) => e.kind)).toEqual(["email.opened", "form.submitted"]);
    // One log with the interactions: the batch's ids come after every interaction's so far.
    const lastInteraction = await data.shards.use(
      data.get(HOME),
      (s) => (s.statement("SELECT max(id) AS id FROM interactions").get() as { id: number }).id,
    );
    expect(ada[0]?.id).toBeGreaterThan(lastInteraction);
    expect(await engagementOf(ids.bob as number)).toEqual({
      "email.opened": { count: 1, firstAt: at, lastAt: at, lastPayload: { campaign: "Spring sale" } },
      "form.submitted": {
        count: 1,
        firstAt: bob[1]?.occurredAt as number,
        lastAt: bob[1]?.occurredAt as number,
        lastPayload: { form: "Demo request" },
      },
    });
  });

  it("stores a msgpack batch (occurredAt as a date or milliseconds)", async () => {
    const before = await stored();
    const at = Date.now() - DAY;
    const answer = await post(
      pack([
        {
          type: "email.clicked",
          email: "ada@example.com",
          occurredAt: new Date(at),
          url: "https://x.example/a",
        },
        { type: "web.visit", contactId: ids.ada, occurredAt: at + 1 },
      ]),
      "application/msgpack",
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ stored: 2, rejected: [] });
    expect((await stored()).events).toBe(before.events + 2);
    const ada = await eventsOf(ids.ada as number);
    expect(ada.filter((e) => e.occurredAt === at).map((e) => [e.kind, e.payload])).toEqual([
      ["email.clicked", JSON.stringify({ url: "https://x.example/a" })],
    ]);
    // An older visit than the one stored before: counted and widening the first time, but the
    // latest visit's page stays the summary's.
    expect((await engagementOf(ids.ada as number))["web.visit"]).toMatchObject({
      count: 2,
      firstAt: at + 1,
      lastPayload: { url: "https://shop.example/pricing" },
    });
  });

  it("refuses bad events one by one, naming index, field and why, and stores the valid ones", async () => {
    const before = await stored();
    const now = Date.now();
    const answer = await call("POST", `/t/${HOME}/events`, [
      { type: "web.visit", email: "ada@example.com" },
      { type: "page.view", email: "ada@example.com" },
      { type: "web.visit", email: "nobody@example.com" },
      { type: "web.visit", contactId: 999_999 },
      { type: "web.visit", email: "ada@example.com", occurredAt: iso(now + 60 * 60 * 1000) },
      { type: "web.visit", email: "ada@example.com", occurredAt: iso(now - 3 * 365 * DAY) },
      { type: "web.visit", email: "ada@example.com", title: "Hi\u0007there" },
      { type: "web.visit", email: "ada@example.com", title: "evil\u202etxt.exe" },
      { type: "web.visit", email: "ada@example.com", campaign: "x".repeat(201) },
      "not an event",
      { type: "web.visit" },
      { type: "web.visit", email: "ada@example.com", contactId: ids.bob },
      { type: "web.visit", email: "ada@example.com", url: "javascript:alert(1)" },
      { type: "email.opened", contactId: ids.bob, occurredAt: "yesterday" },
      { type: "form.submitted", email: "bob@example.com", form: "Contact us" },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json.stored).toBe(2);
    expect(answer.json.rejected.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
      [1, "type"],
      [2, "email"],
      [3, "contactId"],
      [4, "occurredAt"],
      [5, "occurredAt"],
      [6, "title"],
      [7, "title"],
      [8, "campaign"],
      [9, "event"],
      [10, "email"],
      [11, "email"],
      [12, "url"],
      [13, "occurredAt"],
    ]);
    const messages = Object.fromEntries(
      answer.json.rejected.map((r: { index: number; message: string }) => [r.index, r.message]),
    );
    expect(messages[2]).toBe("no contact with this email in the workspace");
    expect(messages[4]).toBe("is more than 5 minutes in the future");
    expect(messages[5]).toBe("is more than 2 years in the past");
    expect(messages[6]).toBe("must not contain control characters");
    expect(messages[7]).toBe("must not contain bidirectional control characters");
    expect((await stored()).events).toBe(before.events + 2);
  });

  it("never matches another workspace's contacts, by id or by email", async () => {
    const before = { home: await stored(), other: await stored(OTHER) };
    const answer = await call("POST", `/t/${HOME}/events`, [
      { type: "web.visit", contactId: ids.stranger },
      { type: "web.visit", email: "stranger@example.com" },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      stored: 0,
      rejected: [
        { index: 0, field: "contactId", message: "no contact with this id in the workspace" },
        { index: 1, field: "email", message: "no contact with this email in the workspace" },
      ],
    });
    expect(await stored()).toEqual(before.home);
    expect(await stored(OTHER)).toEqual(before.other);
    // And the other workspace's key is refused here before anything is read.
    const foreign = await otherCall("POST", `/t/${HOME}/events`, [
      { type: "web.visit", email: "ada@example.com" },
    ]);
    expect(foreign.status).toBe(401);
  });

  it("answers a retry with the same Idempotency-Key from the first answer, marked replayed, storing once", async () => {
    const before = await stored();
    const batch = [
      { type: "web.visit", email: "ada@example.com", url: "https://shop.example/" },
      { type: "web.visit", email: "nobody@example.com" },
    ];
    const headers = { "idempotency-key": "batch-0001" };
    const first = await call("POST", `/t/${HOME}/events`, batch, headers);
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotency-replayed")).toBeNull();
    const again = await call("POST", `/t/${HOME}/events`, batch, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expect(await stored()).toEqual({ events: before.events + 1, keys: before.keys + 1 });

    const reused = await call(
      "POST",
      `/t/${HOME}/events`,
      [{ type: "web.visit", email: "bob@example.com" }],
      headers,
    );
    expect(reused.status).toBe(422);
    expect(reused.headers.get("content-type")).toStartWith("application/problem+json");
    expect(reused.json.detail).toContain(
      'Idempotency-Key: "batch-0001" was already used for a different request',
    );
    expect(reused.json.errors).toEqual([
      {
        field: "Idempotency-Key",
        message: '"batch-0001" was already used for a different request; send a new key for a new request',
      },
    ]);
    expect(await stored()).toEqual({ events: before.events + 1, keys: before.keys + 1 });

    // Another key, or none, is another request.
    const other = await call("POST", `/t/${HOME}/events`, batch, { "idempotency-key": "batch-0002" });
    expect(other.headers.get("idempotency-replayed")).toBeNull();
    expect(await stored()).toEqual({ events: before.events + 2, keys: before.keys + 2 });
  });

  it("answers 409 to a duplicate sent while the first is still being stored, and stores it once", async () => {
    const batch = [{ type: "email.opened", email: "bob@example.com" }];
    const headers = { "idempotency-key": "in-flight-1" };
    const before = await stored();
    // Another connection holds the workspace's write lock, so the first request waits in its worker.
    const tenant = data.get(HOME);
    const locker = new Database(join(dir.path, tenant.file));
    locker.run("BEGIN IMMEDIATE");
    let released = false;
    try {
      const requests = [
        call("POST", `/t/${HOME}/events`, batch, headers),
        call("POST", `/t/${HOME}/events`, batch, headers),
      ];
      const first = await Promise.race(requests);
      expect(first.status).toBe(409);
      expect(first.json.detail).toContain("still being processed");
      locker.run("ROLLBACK");
      released = true;
      const statuses = (await Promise.all(requests)).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
    } finally {
      if (!released) locker.run("ROLLBACK");
      locker.close();
    }
    expect(await stored()).toEqual({ events: before.events + 1, keys: before.keys + 1 });
  });

  it("refuses a read-only key (403), a non-array (400), bad bytes (400), another type (415) and a bad key (400), writing nothing", async () => {
    const before = await stored();
    const event = { type: "web.visit", email: "ada@example.com" };
    const refused = [
      [await readOnly("POST", `/t/${HOME}/events`, [event]), 403],
      [await call("POST", `/t/${HOME}/events`, event), 400],
      [await call("POST", `/t/${HOME}/events`, "[{bad"), 400],
      [await post(new Uint8Array([0xc1, 0xc1]), "application/msgpack"), 400],
      [await post(JSON.stringify([event]), "text/plain"), 415],
      [await call("POST", `/t/${HOME}/events`, [event], { "idempotency-key": "has space" }), 400],
    ] as const;
    for (const [answer, status] of refused) {
      expect(answer.status).toBe(status);
      expect(answer.headers.get("content-type")).toStartWith("application/problem+json");
    }
    expect(refused[1][0].json.detail).toBe("the body must be an array of events");
    expect(refused[5][0].json.detail).toContain("Idempotency-Key");
    expect(await stored()).toEqual(before);
  });

  it("stores 10,000 events in one request and refuses 10,001 or a body past 4 MiB with 413, writing nothing", async () => {
    const before = await stored();
    const at = Date.now() - 1000;
    const batch = Array.from({ length: 10_000 }, (_, i) => ({
      type: "web.visit",
      email: i % 2 ? "ada@example.com" : "bob@example.com",
      occurredAt: at - i,
      url: `https://shop.example/p/${i}`,
    }));
    const full = await post(pack(batch), "application/msgpack", { "idempotency-key": "big-1" });
    expect(full.status).toBe(200);
    expect(full.json).toEqual({ stored: 10_000, rejected: [] });
    expect((await stored()).events).toBe(before.events + 10_000);

    const tooMany = await call("POST", `/t/${HOME}/events`, [...batch, batch[0]], {
      "idempotency-key": "big-2",
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.json.detail).toContain("at most 10,000 events");
    const tooBig = await post(
      JSON.stringify([{ type: "web.visit", title: "x".repeat(4 * 1024 * 1024) }]),
      "application/json",
    );
    expect(tooBig.status).toBe(413);
    expect(await stored()).toEqual({ events: before.events + 10_000, keys: before.keys + 1 });
  }, 60_000);
});
