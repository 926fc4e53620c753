import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { findContactEvents, rewriteFoundEvents } from "../src/contacts/contact-events.ts";
import { takeLogIds } from "../src/events/log-ids.ts";
import type { Actor } from "../src/identity/viewer.ts";
import { mergeContacts } from "../src/merge/merge-contacts.ts";
import { findTiedLatest, moveEvents } from "../src/merge/move-events.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { BEFORE_EVENTS_TABLE, oldShard } from "./support/old-shard.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * A workspace file of the previous release, whose chunked event ingest was cut off (the server
 * killed) after its first commit of a batch sent with an Idempotency-Key: that commit's events
 * in `interactions`, the key's row in progress (status 102, `{"done", "state"}`). Opened by this
 * release and sent again with the same key and body, the batch must be finished with every
 * event stored once, as README's "Event ingest" promises for a batch cut off midway.
 */
const SLUG = "upgraded";
const CONTACTS = 30;
const EVENTS = 3000;
/** What the previous release had committed: its first chunk (EVENTS_PER_COMMIT). */
const DONE = 1000;
const KEY = "batch-cut-off";

let server: TestServer;
const dir = tempDir("crm-trial-engagement-");
let data: DataDir;
let apiKey: string;
let body: string;
let file: string;
/** A second workspace, for merges. */
const TIE = "merge-tie";
let tieKey: string;
let tieFile: string;

interface Sent {
  type: string;
  email: string;
  occurredAt: number;
  title: string;
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  const old = oldShard(data.catalog, SLUG, CONTACTS, BEFORE_EVENTS_TABLE);
  file = join(dir.path, old.file);
  const now = Date.now();
  const sent: Sent[] = Array.from({ length: EVENTS }, (_, i) => ({
    type: i % 7 === 0 ? "email.opened" : "web.visit",
    email: `legacy${i % CONTACTS}@old.test`,
    occurredAt: now - 60_000 + (i % 700),
    title: `event ${i}`,
  }));
  // Refused by the contact lookup (in the first commit: its email sorts first) and by the checks.
  sent[7] = { ...(sent[7] as Sent), email: "aaa-nobody@old.test" };
  (sent[11] as Sent).type = "page.view";
  body = JSON.stringify(sent);

  // The previous release's first commit, in its storage order (by email as sent, then position).
  const valid = sent.map((e, index) => ({ ...e, index })).filter((e) => e.type !== "page.view");
  valid.sort((a, b) => (a.email !== b.email ? (a.email < b.email ? -1 : 1) : a.index - b.index));
  const first = valid.slice(0, DONE);
  const raw = new Database(file);
  const contactIds = new Map(
    (raw.query("SELECT id, email FROM contacts").all() as { id: number; email: string }[]).map((r) => [
      r.email,
      r.id,
    ]),
  );
  const insert = raw.query(
    "INSERT INTO interactions (occurred_at, actor_type, actor_id, kind, subject_type, subject_id, payload) VALUES (?, 'api_key', 1, ?, 'contact', ?, ?)",
  );
  let stored = 0;
  for (const e of first) {
    const id = contactIds.get(e.email);
    if (id === undefined) continue;
    insert.run(e.occurredAt, e.type, id, JSON.stringify({ title: e.title }));
    stored++;
  }
  expect(stored).toBe(DONE - 1);
  raw.close();

  // Opening it here migrates it (0011 moves those events); then the key and its progress.
  apiKey = await data.apiKey(SLUG, "member");
  await data.shards.use(data.get(SLUG), (s) => {
    const { id } = s.statement("SELECT max(id) AS id FROM api_keys").get() as { id: number };
    const progress = {
      done: DONE,
      state: {
        stored: DONE - 1,
        rejected: [{ index: 7, field: "email", message: "no contact with this email in the workspace" }],
      },
    };
    s.statement(
      "INSERT INTO idempotency_keys (scope, key, route, request_hash, status, response, created_at) VALUES (?, ?, ?, ?, 102, ?, ?)",
    ).run(
      `api_key:${id}`,
      KEY,
      "POST /api/v1/t/:tenant/events",
      createHash("sha256").update(new TextEncoder().encode(body)).digest("hex"),
      JSON.stringify(progress),
      now - 1000,
    );
  });
  const tie = await data.tenant(TIE);
  tieFile = join(dir.path, tie.file);
  tieKey = await data.apiKey(TIE, "member");
  server = await startServer({ dataDir: dir.path });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

async function send() {
  const response = await fetch(`${server.url}/api/v1/t/${SLUG}/events`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${apiKey}`,
      "content-type": "application/json",
      "idempotency-key": KEY,
    },
    body,
  });
  return {
    status: response.status,
    replayed: response.headers.get("idempotency-replayed"),
    text: await response.text(),
  };
}

function counts() {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .query(
        `SELECT (SELECT count(*) FROM events) AS events,
           (SELECT count(DISTINCT json_extract(payload, '$.title')) FROM events) AS titles,
           (SELECT count(*) FROM interactions WHERE kind IN ('web.visit', 'email.opened')) AS inInteractions,
           (SELECT sum(count) FROM contact_engagement) AS engaged,
           (SELECT count(*) FROM (SELECT contact_id, kind, count(*) AS n, min(occurred_at) AS f, max(occurred_at) AS l
              FROM events GROUP BY 1, 2) g
            JOIN contact_engagement c USING (contact_id, kind)
            WHERE c.count = g.n AND c.first_at = g.f AND c.last_at = g.l) AS rowsRight,
           (SELECT count(*) FROM contact_engagement) AS rows`,
      )
      .get() as Record<string, number>;
  } finally {
    db.close();
  }
}

describe("a batch the previous release cut off midway, sent again after the upgrade", () => {
  it("is finished with its key: the events not stored yet are stored, each event once, engagement summed", async () => {
    const before = counts();
    expect(before.events).toBe(DONE - 1);
    expect(before.inInteractions).toBe(0);

    const first = await send();
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    expect(JSON.parse(first.text)).toEqual({
      stored: EVENTS - 2,
      rejected: [
        { index: 7, field: "email", message: "no contact with this email in the workspace" },
        { index: 11, field: "type", message: expect.stringContaining("must be one of") },
      ],
    });
    const after = counts();
    expect(after.events).toBe(EVENTS - 2);
    expect(after.titles).toBe(EVENTS - 2);
    expect(after.engaged).toBe(EVENTS - 2);
    expect(after.rowsRight).toBe(after.rows);
    expect(after.rows).toBe(CONTACTS * 2);

    const again = await send();
    expect(again.status).toBe(200);
    expect(again.replayed).toBe("true");
    expect(again.text).toBe(first.text);
    expect(counts().events).toBe(EVENTS - 2);
  });
});

describe("merging two contacts whose latest events of a kind happened at the same moment", () => {
  it("keeps the details of the one stored later, as a batch does with such a tie", async () => {
    const call = api(server.url, tieKey);
    const make = async (name: string) => {
      const created = await call("POST", `/t/${TIE}/contacts`, {
        firstName: name,
        email: `${name}@tie.test`,
      });
      expect(created.status).toBe(201);
      return created.json.id as number;
    };
    const at = Date.now() - 60_000;
    const push = async (events: unknown[]) => {
      const pushed = await call("POST", `/t/${TIE}/events`, events);
      expect(pushed.status).toBe(200);
      expect(pushed.json.rejected).toEqual([]);
    };
    const lastOf = (id: number) => {
      const db = new Database(tieFile, { readonly: true });
      try {
        return db
          .query(
            "SELECT kind, count, last_at AS lastAt, last_payload AS payload FROM contact_engagement WHERE contact_id = ? ORDER BY kind",
          )
          .all(id);
      } finally {
        db.close();
      }
    };
    // Stored first / stored later, each way round: the later one's details must win.
    for (const [firstName, laterName] of [
      ["keepa", "dupa"],
      ["dupb", "keepb"],
    ] as const) {
      const ids = { [firstName]: await make(firstName), [laterName]: await make(laterName) };
      await push([
        { type: "web.visit", contactId: ids[firstName], occurredAt: at, title: `${firstName} first` },
      ]);
      await push([
        { type: "web.visit", contactId: ids[laterName], occurredAt: at, title: `${laterName} later` },
      ]);
      const keep = (ids.keepa ?? ids.keepb) as number;
      const duplicate = (ids.dupa ?? ids.dupb) as number;
      const merged = await call("POST", `/t/${TIE}/contacts/${keep}/merge`, { duplicateId: duplicate });
      expect(merged.status).toBe(200);
      expect(lastOf(keep)).toEqual([
        { kind: "web.visit", count: 2, lastAt: at, payload: JSON.stringify({ title: `${laterName} later` }) },
      ]);
      // The same as a batch of both events for one contact would have summed up.
      await push([{ type: "web.visit", contactId: keep, occurredAt: at - 1, title: "older" }]);
      expect(lastOf(keep)).toEqual([
        { kind: "web.visit", count: 3, lastAt: at, payload: JSON.stringify({ title: `${laterName} later` }) },
      ]);
    }
  });
});

/** One event stored as ingest stores it: an id from the log's sequence, and its contact's engagement. */
function storeOne(shard: Shard, contactId: number, at: number, title: string): number {
  return shard.transaction(() => {
    const id = takeLogIds(shard, 1);
    const json = JSON.stringify({ title });
    shard
      .statement(
        "INSERT INTO events (id, occurred_at, actor_type, actor_id, kind, contact_id, payload) VALUES (?, ?, 'system', NULL, 'web.visit', ?, ?)",
      )
      .run(id, at, contactId, json);
    shard
      .statement(
        `INSERT INTO contact_engagement (contact_id, kind, count, first_at, last_at, last_payload) VALUES (?, 'web.visit', 1, ?, ?, ?)
         ON CONFLICT (contact_id, kind) DO UPDATE SET count = count + 1, first_at = min(first_at, excluded.first_at),
           last_at = max(last_at, excluded.last_at),
           last_payload = CASE WHEN excluded.last_at >= last_at THEN excluded.last_payload ELSE last_payload END`,
      )
      .run(contactId, at, at, json);
    return id;
  });
}

describe("a tie of latest events that appears between a merge's scan and its transaction", () => {
  it("takes the details of the event stored after the scan", () =>
    data.shards.use(data.get(TIE), (shard) => {
      const now = Date.now();
      const [survivor, duplicate] = ["late-keep", "late-dup"].map((name) =>
        Number(
          shard
            .statement(
              "INSERT INTO contacts (first_name, email, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .values(name, `${name}@tie.test`, now, now)[0]?.[0],
        ),
      ) as [number, number];
      storeOne(shard, survivor, 5_000, "survivor's");
      storeOne(shard, duplicate, 4_000, "duplicate's older");
      const found = findContactEvents(shard, duplicate);
      const tied = findTiedLatest(shard, found, duplicate, survivor);
      expect(tied.size).toBe(0);
      // Stored after the scan: now both last happened at 5,000, and this one was stored last.
      storeOne(shard, duplicate, 5_000, "duplicate's newest");
      shard.transaction(() => moveEvents(shard, found, duplicate, survivor, tied));
      expect(
        shard
          .statement(
            "SELECT count, last_at AS lastAt, last_payload AS payload FROM contact_engagement WHERE contact_id = ?",
          )
          .all(survivor),
      ).toEqual([{ count: 3, lastAt: 5_000, payload: JSON.stringify({ title: "duplicate's newest" }) }]);
    }));
});

/** A contact in the merge-tie workspace, written straight into its file. */
function person(shard: Shard, name: string): number {
  const now = Date.now();
  return Number(
    shard
      .statement(
        "INSERT INTO contacts (first_name, email, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
      )
      .values(name, `${name}@race.test`, now, now)[0]?.[0],
  );
}

const ownEvents = (shard: Shard, contactId: number) =>
  Number(shard.statement("SELECT count(*) FROM events WHERE contact_id = ?").values(contactId)[0]?.[0]);

describe("a merge into a contact between another rewrite's scan of its events and that rewrite's transaction", () => {
  const ACTOR: Actor = { type: "system", id: null, role: "owner" };

  it("a second merge of that contact moves the events the first one brought in too", () =>
    data.shards.use(data.get(TIE), (shard) => {
      const [a, b, c] = ["race-a", "race-b", "race-c"].map((n) => person(shard, n)) as [
        number,
        number,
        number,
      ];
      storeOne(shard, a, 1_000, "a's");
      storeOne(shard, b, 2_000, "b's");
      // C ← A scans A's events; meanwhile A ← B commits (B's events now A's), then C ← A's transaction.
      const found = findContactEvents(shard, a);
      mergeContacts(shard, ACTOR, { survivorId: a, duplicateId: b, keep: {} });
      shard.transaction(() => moveEvents(shard, found, a, c));
      expect(ownEvents(shard, a)).toBe(0);
      expect(ownEvents(shard, c)).toBe(2);
    }));

  it("an erasure of that contact deletes the events the merge brought in too", async () => {
    const [a, b] = await data.shards.use(data.get(TIE), (shard) => {
      const ids = ["erase-a", "erase-b"].map((n) => person(shard, n)) as [number, number];
      storeOne(shard, ids[0], 1_000, "a's");
      storeOne(shard, ids[1], 2_000, "b's");
      return ids;
    });
    // The erasure's scan of A's events, then A ← B, then the erasure's transaction on what it found.
    const found = await data.shards.use(data.get(TIE), (shard) => findContactEvents(shard, a));
    await data.shards.use(data.get(TIE), (shard) =>
      mergeContacts(shard, ACTOR, { survivorId: a, duplicateId: b, keep: {} }),
    );
    await data.shards.use(data.get(TIE), (shard) => {
      shard.transaction(() => rewriteFoundEvents(shard, found, a, null));
      expect(ownEvents(shard, a)).toBe(0);
    });
  });
});

describe("two server processes on one data directory, storing batches and page writes at once", () => {
  it("never give an event and an interaction one id, and keep every contact's engagement equal to its events", async () => {
    const second = await startServer({ dataDir: dir.path });
    try {
      const calls = [api(server.url, tieKey), api(second.url, tieKey)];
      const ids: number[] = [];
      for (let i = 0; i < 12; i++) {
        const created = await (calls[i % 2] as ReturnType<typeof api>)("POST", `/t/${TIE}/contacts`, {
          firstName: `Two${i}`,
          email: `two${i}@procs.test`,
        });
        expect(created.status).toBe(201);
        ids.push(created.json.id);
      }
      const at = Date.now() - 600_000;
      const batch = (round: number) =>
        Array.from({ length: 1500 }, (_, i) => ({
          type: ["web.visit", "email.opened", "email.clicked", "form.submitted"][Math.floor(i / 12) % 4],
          ...(i % 2 ? { contactId: ids[i % 12] } : { email: `TWO${i % 12}@procs.test` }),
          // Few distinct times (ties within and across batches), some batches older than earlier ones.
          occurredAt: at + ((round * 5) % 3) * 10_000 + ((i * 7) % 5) * 1000,
          title: `r${round} e${i}`,
        }));
      const statuses: number[] = [];
      await Promise.all([
        ...[0, 1, 2, 3].map(async (client) => {
          for (let round = 0; round < 4; round++) {
            const sent = await (calls[client % 2] as ReturnType<typeof api>)(
              "POST",
              `/t/${TIE}/events`,
              batch(client * 4 + round),
            );
            statuses.push(sent.status);
          }
        }),
        ...[0, 1].map(async (side) => {
          for (let j = 0; j < 24; j++) {
            const patched = await (calls[side] as ReturnType<typeof api>)(
              "PATCH",
              `/t/${TIE}/contacts/${ids[j % 12]}`,
              {
                lastName: `p${side}-${j}`,
              },
            );
            statuses.push(patched.status);
          }
        }),
      ]);
      expect(statuses).toEqual(Array.from({ length: 16 + 48 }, () => 200));
      const db = new Database(tieFile, { readonly: true });
      try {
        const check = db
          .query(
            `SELECT (SELECT count(*) FROM events e JOIN interactions i ON i.id = e.id) AS collisions,
               (SELECT count(*) FROM events WHERE contact_id IN (SELECT value FROM json_each(?1))) AS events,
               (SELECT count(*) FROM (SELECT contact_id, kind, count(*) AS n, min(occurred_at) AS f, max(occurred_at) AS l,
                  (SELECT payload FROM events x WHERE x.contact_id = g.contact_id AND x.kind = g.kind ORDER BY occurred_at DESC, id DESC LIMIT 1) AS p
                  FROM events g WHERE contact_id IN (SELECT value FROM json_each(?1)) GROUP BY 1, 2) t
                JOIN contact_engagement c USING (contact_id, kind)
                WHERE c.count = t.n AND c.first_at = t.f AND c.last_at = t.l AND c.last_payload = t.p) AS rowsRight,
               (SELECT count(*) FROM contact_engagement WHERE contact_id IN (SELECT value FROM json_each(?1))) AS rows,
               (SELECT seq FROM sqlite_sequence WHERE name = 'interactions') >=
                 max((SELECT max(id) FROM events), (SELECT max(id) FROM interactions)) AS sequenceAhead`,
          )
          .get(JSON.stringify(ids));
        expect(check).toEqual({
          collisions: 0,
          events: 16 * 1500,
          rowsRight: 48,
          rows: 48,
          sequenceAhead: 1,
        });
      } finally {
        db.close();
      }
    } finally {
      await second.stop();
    }
  }, 120_000);
});
