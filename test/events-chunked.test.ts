import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { pack } from "msgpackr";
import { eventsWorkspace } from "./support/events-workspace.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { type DataDir, signIn } from "./support/workspace.ts";

/**
 * A 10,000-event batch is stored in ONE transaction through the real server and its worker: all
 * of it or none of it. Killed (SIGKILL) before, during or just after its commit and retried with
 * the same Idempotency-Key, it ends with every event stored exactly once, the engagement
 * summary counting each once, and the whole batch's refusals in the answer; the workspace's own
 * page writes go through while batches are stored.
 */
const HOME = "chunked-co";
const PEOPLE = 40;
const BATCH = 10_000;

const dir = tempDir();
let data: DataDir;
let member: string;
let server: TestServer;
let contactIds: number[] = [];

beforeAll(async () => {
  ({ data, member, server, contactIds } = await eventsWorkspace(dir.path, HOME, PEOPLE, "P"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

/**
 * A batch whose events each carry their own url (`…/e/<tag>/<index>`), about the contacts by id
 * (even positions) or email (odd); every 997th names an unknown email (refused when matched) and
 * every 1,499th has an unknown type (refused by the checks).
 */
function batch(tag: string) {
  const at = Date.now() - 60_000;
  const events: Record<string, unknown>[] = [];
  const refused: { index: number; field: string }[] = [];
  for (let i = 0; i < BATCH; i++) {
    const person = i % PEOPLE;
    const event: Record<string, unknown> = {
      type: i % 3 === 0 ? "email.opened" : "web.visit",
      occurredAt: at - i,
      url: `https://shop.example/e/${tag}/${i}`,
    };
    if (i % 1499 === 1) {
      event.type = "page.viewed";
      refused.push({ index: i, field: "type" });
    } else if (i % 997 === 5) {
      event.email = `nobody${i}@example.com`;
      refused.push({ index: i, field: "email" });
    } else if (i % 2 === 0) event.contactId = contactIds[person];
    else event.email = `p${person}@example.com`;
    events.push(event);
  }
  return { body: new Uint8Array(pack(events)), refused, stored: BATCH - refused.length };
}

function post(base: string, body: Uint8Array, key?: string, signal?: AbortSignal) {
  return fetch(`${base}/api/v1/t/${HOME}/events`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${member}`,
      "content-type": "application/msgpack",
      ...(key ? { "idempotency-key": key } : {}),
    },
    body: new Uint8Array(body),
    signal,
  });
}

/** What the file holds for a batch: its events' urls (with repeats), the key's row, and the engagement counts. */
async function onFile(tag: string, key: string) {
  return await data.shards.use(data.get(HOME), (s) => {
    const urls = (
      s
        .statement(
          "SELECT json_extract(payload, '$.url') AS url FROM events WHERE json_extract(payload, '$.url') LIKE ?",
        )
        .values(`https://shop.example/e/${tag}/%`) as [string][]
    ).map((r) => r[0]);
    const row = s.statement("SELECT status, response FROM idempotency_keys WHERE key = ?").get(key) as {
      status: number;
      response: string;
    } | null;
    const counted = (
      s.statement("SELECT coalesce(sum(count), 0) AS n FROM contact_engagement").get() as { n: number }
    ).n;
    const events = (s.statement("SELECT count(*) AS n FROM events").get() as { n: number }).n;
    return { urls, row, counted, events };
  });
}

/** The key's row alone (a cheap read, for polling). */
async function keyRow(key: string) {
  return await data.shards.use(
    data.get(HOME),
    (s) =>
      s.statement("SELECT status FROM idempotency_keys WHERE key = ?").get(key) as { status: number } | null,
  );
}

/** Another connection holding the workspace's write lock, as another process's write would. */
function holdWriteLock(): Database {
  const locker = new Database(join(dir.path, data.get(HOME).file));
  locker.run("PRAGMA busy_timeout = 5000");
  locker.run("BEGIN IMMEDIATE");
  return locker;
}

/**
 * Sends a batch and waits until the server is applying it: a probe with the same key is
 * answered 409. The probe's body is not msgpack, so a probe that comes first is refused (400)
 * before any write and never waits for the lock itself; if it made the batch itself a 409
 * meanwhile, the batch is sent again. Returns the batch's pending answer (undefined if the connection broke).
 */
async function sendInFlight(body: Uint8Array, key: string, signal?: AbortSignal) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    let answered: number | undefined;
    const pending = post(server.url, body, key, signal).then(
      (r) => {
        answered = r.status;
        return r;
      },
      () => undefined,
    );
    while (answered === undefined && Date.now() < deadline) {
      const probe = await post(server.url, new Uint8Array([0xc1]), key);
      await probe.body?.cancel();
      if (probe.status === 409) return { pending };
      await Bun.sleep(5);
    }
    expect(answered).toBe(409);
  }
  throw new Error(`the request with ${key} never got in flight`);
}

/** Polls until the key's row is committed. */
async function waitForKey(key: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await keyRow(key)) return;
    await Bun.sleep(1);
  }
  throw new Error(`the batch with ${key} never committed`);
}

/** After a kill: all of the batch or none of it, and the key's row says which. */
async function expectAllOrNothing(tag: string, key: string, stored: number) {
  const after = await onFile(tag, key);
  expect(after.urls.length === 0 || after.urls.length === stored).toBe(true);
  expect(after.row === null ? 0 : stored).toBe(after.urls.length);
  expect(new Set(after.urls).size).toBe(after.urls.length);
  // The engagement summary counts exactly the events stored.
  expect(after.counted).toBe(after.events);
  return after;
}

/** The retry after a kill: answered 200 with the whole batch's answer, and each event stored once. */
async function retryAndCheck(tag: string, key: string, made: ReturnType<typeof batch>) {
  const retry = await post(server.url, made.body, key);
  expect(retry.status).toBe(200);
  const answer = (await retry.json()) as { stored: number; rejected: { index: number; field: string }[] };
  expect(answer.stored).toBe(made.stored);
  expect(answer.rejected.map((r) => ({ index: r.index, field: r.field }))).toEqual(made.refused);
  const { urls, row, counted, events } = await onFile(tag, key);
  expect(row?.status).toBe(200);
  const refusedAt = new Set(made.refused.map((r) => r.index));
  const expected = Array.from({ length: BATCH }, (_, i) => i)
    .filter((i) => !refusedAt.has(i))
    .map((i) => `https://shop.example/e/${tag}/${i}`);
  expect([...urls].sort()).toEqual(expected.sort());
  expect(counted).toBe(events);
  return { retry, answer };
}

describe("a big batch in one transaction", () => {
  it("killed while waiting for the write lock, stores nothing; its retry stores every event once", async () => {
    const tag = "kill-waiting";
    const key = "batch-kill-waiting";
    const made = batch(tag);
    const locker = holdWriteLock();
    let killed = false;
    try {
      const { pending } = await sendInFlight(made.body, key);
      await server.kill();
      killed = true;
      await pending;
    } finally {
      locker.run("ROLLBACK");
      locker.close();
    }
    expect(killed).toBe(true);
    const after = await expectAllOrNothing(tag, key, made.stored);
    expect(after.urls).toEqual([]);
    expect(after.row).toBeNull();
    server = await startServer({ dataDir: dir.path });
    const { retry } = await retryAndCheck(tag, key, made);
    expect(retry.headers.get("idempotency-replayed")).toBeNull();
  }, 120_000);

  it("killed as the lock is let go (before, in or after its commit), stores all or nothing; the retry completes it once", async () => {
    for (const round of [1, 2, 3]) {
      const tag = `kill-racing-${round}`;
      const key = `batch-kill-racing-${round}`;
      const made = batch(tag);
      const locker = holdWriteLock();
      let pending: Promise<unknown>;
      try {
        ({ pending } = await sendInFlight(made.body, key));
      } finally {
        locker.run("ROLLBACK");
        locker.close();
      }
      // Later each round: the worker is further into its work when the server dies.
      if (round > 1) await keyRow(key);
      if (round > 2) await keyRow(key);
      await server.kill();
      await pending;
      await expectAllOrNothing(tag, key, made.stored);
      server = await startServer({ dataDir: dir.path });
      await retryAndCheck(tag, key, made);
    }
  }, 180_000);

  it("killed once its commit is on disk, keeps it: the retry is the stored answer, nothing stored twice", async () => {
    const tag = "kill-committed";
    const key = "batch-kill-committed";
    const made = batch(tag);
    const pending = post(server.url, made.body, key).catch(() => undefined);
    await waitForKey(key);
    await server.kill();
    await pending;
    const after = await expectAllOrNothing(tag, key, made.stored);
    expect(after.urls.length).toBe(made.stored);
    server = await startServer({ dataDir: dir.path });
    const { retry } = await retryAndCheck(tag, key, made);
    expect(retry.headers.get("idempotency-replayed")).toBe("true");
  }, 120_000);

  it("stores none of a batch whose key's answer cannot be written, and its retry stores it once", async () => {
    const tag = "key-refused";
    const key = "batch-key-refused";
    const made = batch(tag);
    // The file refuses this key's row (as a full disk would refuse the last write of the
    // transaction): the batch's events must go with it.
    const file = new Database(join(dir.path, data.get(HOME).file));
    try {
      file.run("PRAGMA busy_timeout = 5000");
      file.run(`CREATE TRIGGER refuse_key BEFORE INSERT ON idempotency_keys WHEN NEW.key = '${key}'
        BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      const refused = await post(server.url, made.body, key);
      expect(refused.status).toBe(500);
      await refused.body?.cancel();
      const after = await onFile(tag, key);
      expect(after.urls).toEqual([]);
      expect(after.row).toBeNull();
      expect(after.counted).toBe(after.events);
      file.run("DROP TRIGGER refuse_key");
    } finally {
      file.close();
    }
    const { retry } = await retryAndCheck(tag, key, made);
    expect(retry.headers.get("idempotency-replayed")).toBeNull();
  }, 120_000);

  it("stores nothing twice after the client disconnects, retried with the same key", async () => {
    const tag = "abort";
    const key = "batch-abort-1";
    const made = batch(tag);
    const controller = new AbortController();
    const locker = holdWriteLock();
    try {
      const { pending } = await sendInFlight(made.body, key, controller.signal);
      controller.abort();
      await pending;
    } finally {
      locker.run("ROLLBACK");
      locker.close();
    }
    // The retry may arrive while the cancelled run is being stopped: 409 until then.
    const deadline = Date.now() + 30_000;
    let retry = await post(server.url, made.body, key);
    while (retry.status === 409 && Date.now() < deadline) {
      await retry.body?.cancel();
      await Bun.sleep(20);
      retry = await post(server.url, made.body, key);
    }
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { stored: number }).stored).toBe(made.stored);
    const { urls, counted, events } = await onFile(tag, key);
    expect(urls.length).toBe(made.stored);
    expect(new Set(urls).size).toBe(made.stored);
    expect(counted).toBe(events);
  }, 120_000);

  it("lets the workspace's own page writes through while batches are stored (no 503)", async () => {
    const owner = await signIn(server.url, HOME, `owner@${HOME}.test`);
    const made = [batch("busy-1"), batch("busy-2"), batch("busy-3")];
    let answered = false;
    const pending = (async () => {
      const statuses: number[] = [];
      for (const [i, one] of made.entries()) {
        const response = await post(server.url, one.body, `batch-busy-${i}`);
        statuses.push(response.status);
        await response.body?.cancel();
      }
      answered = true;
      return statuses;
    })();
    const statuses: number[] = [];
    // Page writes (a new contact each) one after another while the batches are being stored.
    do {
      const created = await owner.post(`/t/${HOME}/contacts`, {
        firstName: "During",
        lastName: `Batch ${statuses.length}`,
      });
      statuses.push(created.status);
    } while (!answered);
    expect(await pending).toEqual([200, 200, 200]);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.every((s) => s === 303)).toBe(true);
    for (const [i, one] of made.entries())
      expect((await onFile(`busy-${i + 1}`, "none")).urls.length).toBe(one.stored);
  }, 120_000);

  it("stores a batch without a key in one transaction, all of it once", async () => {
    const tag = "nokey";
    const { body, stored, refused } = batch(tag);
    const response = await post(server.url, body);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { stored: number; rejected: { index: number }[] };
    expect(answer.stored).toBe(stored);
    expect(answer.rejected.map((r) => r.index)).toEqual(refused.map((r) => r.index));
    const { urls } = await onFile(tag, "none");
    expect(urls.length).toBe(stored);
    expect(new Set(urls).size).toBe(stored);
  }, 60_000);
});
