import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { pack } from "msgpackr";
import { IN_PROGRESS_STATUS } from "../src/idempotency/idempotent-write.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * A 10,000-event batch is stored in commits of 1,000 through the real server and its worker:
 * killed (SIGKILL) midway at several points and retried with the same Idempotency-Key, it ends
 * with every event stored exactly once and the whole batch's refusals in the answer; the
 * workspace's own page writes go through between its commits.
 */
const HOME = "chunked-co";
const PEOPLE = 40;
const BATCH = 10_000;
const EVENT_KINDS = "('web.visit', 'email.opened', 'email.clicked', 'form.submitted')";

const dir = tempDir();
let data: DataDir;
let member: string;
let server: TestServer;
const contactIds: number[] = [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(HOME);
  member = await data.apiKey(HOME, "member");
  server = await startServer({ dataDir: dir.path });
  const call = api(server.url, member);
  for (let i = 0; i < PEOPLE; i++) {
    const created = await call("POST", `/t/${HOME}/contacts`, {
      firstName: `P${i}`,
      email: `p${i}@example.com`,
    });
    expect(created.status).toBe(201);
    contactIds.push(created.json.id);
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

/**
 * A batch whose events each carry their own url (`…/e/<tag>/<index>`), about the contacts by id
 * (even positions) or email (odd); every 997th names an unknown email (refused when matched, in
 * several commits) and every 1,499th has an unknown type (refused by the checks).
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

/** What the file holds for a batch: its events' urls (with repeats) and the key's row. */
async function onFile(tag: string, key: string) {
  return await data.shards.use(data.get(HOME), (s) => {
    const urls = (
      s
        .statement(`SELECT json_extract(payload, '$.url') AS url FROM interactions WHERE kind IN ${EVENT_KINDS}
          AND json_extract(payload, '$.url') LIKE ?`)
        .values(`https://shop.example/e/${tag}/%`) as [string][]
    ).map((r) => r[0]);
    const row = s.statement("SELECT status, response FROM idempotency_keys WHERE key = ?").get(key) as {
      status: number;
      response: string;
    } | null;
    return { urls, row };
  });
}

/** The key's row alone (a cheap read, for polling). */
async function keyRow(key: string) {
  return await data.shards.use(
    data.get(HOME),
    (s) =>
      s.statement("SELECT status, response FROM idempotency_keys WHERE key = ?").get(key) as {
        status: number;
        response: string;
      } | null,
  );
}

/** Polls the key's row until its batch has committed at least `done` events (not all of them). */
async function waitForProgress(key: string, done: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const row = await keyRow(key);
    if (row && row.status !== IN_PROGRESS_STATUS) throw new Error(`the batch finished before ${done}`);
    if (row && (JSON.parse(row.response) as { done: number }).done >= done) return;
    await Bun.sleep(1);
  }
  throw new Error(`the batch never reached ${done} events`);
}

describe("a big batch in short commits", () => {
  it("killed midway at several points and retried with its key, stores every event exactly once", async () => {
    const tag = "kill";
    const key = "batch-kill-1";
    const { body, refused, stored } = batch(tag);
    const killPoints = [1_000, 3_000, 6_000];
    let progressBefore = 0;
    for (const point of killPoints) {
      const pending = post(server.url, body, key).catch(() => undefined);
      await waitForProgress(key, point);
      await server.kill();
      await pending;
      // Killed midway: the key holds the progress of exactly what was committed, nothing twice.
      const { urls, row } = await onFile(tag, key);
      expect(row?.status).toBe(IN_PROGRESS_STATUS);
      const progress = JSON.parse(row?.response ?? "{}") as { done: number; state: { stored: number } };
      expect(progress.done).toBeGreaterThanOrEqual(point);
      expect(progress.done).toBeGreaterThan(progressBefore);
      expect(progress.done).toBeLessThan(BATCH);
      expect(urls.length).toBe(progress.state.stored);
      expect(new Set(urls).size).toBe(urls.length);
      progressBefore = progress.done;
      server = await startServer({ dataDir: dir.path });
    }
    const last = await post(server.url, body, key);
    expect(last.status).toBe(200);
    expect(last.headers.get("idempotency-replayed")).toBeNull();
    const answer = (await last.json()) as { stored: number; rejected: { index: number; field: string }[] };
    expect(answer.stored).toBe(stored);
    // Every refusal of the whole batch, from the commits before each kill too, in order.
    expect(answer.rejected.map((r) => ({ index: r.index, field: r.field }))).toEqual(refused);

    const { urls, row } = await onFile(tag, key);
    expect(row?.status).toBe(200);
    expect(urls.length).toBe(stored);
    const refusedAt = new Set(refused.map((r) => r.index));
    const expected = Array.from({ length: BATCH }, (_, i) => i)
      .filter((i) => !refusedAt.has(i))
      .map((i) => `https://shop.example/e/${tag}/${i}`);
    expect([...urls].sort()).toEqual(expected.sort());

    // Once more: the stored answer, nothing stored again.
    const again = await post(server.url, body, key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(await again.json()).toEqual(answer);
    expect((await onFile(tag, key)).urls.length).toBe(stored);
  }, 180_000);

  it("resumes after the client disconnects midway, retried with the same key", async () => {
    const tag = "abort";
    const key = "batch-abort-1";
    const { body, stored } = batch(tag);
    const controller = new AbortController();
    const pending = post(server.url, body, key, controller.signal).catch(() => undefined);
    await waitForProgress(key, 2_000);
    controller.abort();
    await pending;
    // The retry may arrive while the cancelled run is being stopped: 409 until then.
    const deadline = Date.now() + 30_000;
    let retry = await post(server.url, body, key);
    while (retry.status === 409 && Date.now() < deadline) {
      await Bun.sleep(20);
      retry = await post(server.url, body, key);
    }
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { stored: number }).stored).toBe(stored);
    const { urls } = await onFile(tag, key);
    expect(urls.length).toBe(stored);
    expect(new Set(urls).size).toBe(stored);
  }, 120_000);

  it("lets the workspace's own page writes through between a batch's commits (no 503)", async () => {
    const tag = "busy";
    const key = "batch-busy-1";
    const { body, stored } = batch(tag);
    const owner = await signIn(server.url, HOME, `owner@${HOME}.test`);
    const pending = post(server.url, body, key);
    await waitForProgress(key, 1_000);
    const statuses: number[] = [];
    let answered = false;
    void pending.then(() => {
      answered = true;
    });
    // Page writes (a new contact each) one after another while the batch is still being stored.
    while (!answered) {
      const created = await owner.post(`/t/${HOME}/contacts`, {
        firstName: "During",
        lastName: `Batch ${statuses.length}`,
      });
      statuses.push(created.status);
      if ((await keyRow(key))?.status !== IN_PROGRESS_STATUS) break;
    }
    const response = await pending;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { stored: number }).stored).toBe(stored);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.every((s) => s === 303)).toBe(true);
  }, 120_000);

  it("stores a batch without a key in the same short commits, all of it once", async () => {
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
