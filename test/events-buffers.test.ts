import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { pack } from "msgpackr";
import { eventsWorkspace } from "./support/events-workspace.ts";
import type { TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import type { DataDir } from "./support/workspace.ts";

/**
 * The events route hands each body to the pool in a buffer it reuses for later requests: the
 * hazards of that. Batches sent at once, of different lengths and formats, each store exactly
 * their own events; a client that drops its connection in the middle of its body, or streams a
 * body past the route's limit, stores nothing and leaves the route serving whole batches.
 * The real server, its worker threads and files.
 */
const HOME = "buffers-co";
const PEOPLE = 3;

let server: TestServer;
const dir = tempDir();
let data: DataDir;
let member: string;

beforeAll(async () => {
  ({ data, member, server } = await eventsWorkspace(dir.path, HOME, PEOPLE, "B"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const headers = (type: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${member}`,
  "content-type": type,
  ...extra,
});

/** Batch `k`: `size` visits whose urls name the batch and the event's place in it. */
function batchOf(k: number, size: number) {
  const at = Date.now() - 60_000;
  return Array.from({ length: size }, (_, i) => ({
    type: "web.visit",
    email: `b${i % PEOPLE}@example.com`,
    occurredAt: at - i,
    url: `https://shop.example/batch-${k}/event-${i}`,
  }));
}

/** The urls stored for batch `k`, in id order. */
const urlsOf = (k: number) =>
  data.shards.use(data.get(HOME), (s) =>
    (
      s
        .statement("SELECT json_extract(payload, '$.url') FROM events WHERE payload LIKE ? ORDER BY id")
        .values(`%/batch-${k}/%`) as [string][]
    ).map((r) => r[0]),
  );

const eventCount = () =>
  data.shards.use(
    data.get(HOME),
    (s) => (s.statement("SELECT count(*) AS n FROM events").get() as { n: number }).n,
  );

describe("the events route's body buffers", () => {
  it("never share one between batches sent at once: two waves of 8 (the workspace's share), long and short, JSON and msgpack, each store exactly their own events", async () => {
    // Lengths that go down as well as up, so a short body landing on a longer one's bytes would show.
    const sizes = [900, 40, 2_500, 7, 1_200, 300, 3_000, 1, 650, 80, 1_800, 15, 2_200, 3, 400, 1_000];
    const send = (size: number, k: number) =>
      (async () => {
        const events = batchOf(k, size);
        const msgpack = k % 2 === 1;
        const response = await fetch(`${server.url}/api/v1/t/${HOME}/events`, {
          method: "POST",
          headers: headers(msgpack ? "application/msgpack" : "application/json", {
            "idempotency-key": `buffers-${k}`,
          }),
          body: msgpack ? new Uint8Array(pack(events)) : JSON.stringify(events),
        });
        return { status: response.status, json: await response.json() };
      })();
    // The second wave gets the buffers the first gave back.
    const first = await Promise.all(sizes.slice(0, 8).map((size, k) => send(size, k)));
    const second = await Promise.all(sizes.slice(8).map((size, k) => send(size, k + 8)));
    const answers = [...first, ...second];
    expect(answers).toEqual(sizes.map((size) => ({ status: 200, json: { stored: size, rejected: [] } })));
    for (const [k, size] of sizes.entries()) {
      const expected = Array.from({ length: size }, (_, i) => `https://shop.example/batch-${k}/event-${i}`);
      expect(await urlsOf(k)).toEqual(expected);
    }
    expect(await eventCount()).toBe(sizes.reduce((a, b) => a + b, 0));
  }, 120_000);

  it("stores nothing of a body cut off by its client, and the next batch is stored whole", async () => {
    const before = await eventCount();
    const body = new TextEncoder().encode(JSON.stringify(batchOf(100, 2_000)));
    const url = new URL(server.url);
    let closed = false;
    const socket = await Bun.connect({
      hostname: url.hostname,
      port: Number(url.port),
      socket: {
        data() {},
        close() {
          closed = true;
        },
      },
    });
    socket.write(
      `POST /api/v1/t/${HOME}/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${member}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.byteLength}\r\n\r\n`,
    );
    // Half the body, then the connection goes away.
    socket.write(body.subarray(0, body.byteLength >> 1));
    socket.end();
    const deadline = performance.now() + 10_000;
    while (!closed && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(closed).toBe(true);

    const next = await fetch(`${server.url}/api/v1/t/${HOME}/events`, {
      method: "POST",
      headers: headers("application/json"),
      body: JSON.stringify(batchOf(101, 500)),
    });
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({ stored: 500, rejected: [] });
    expect(await urlsOf(100)).toEqual([]);
    expect((await urlsOf(101)).length).toBe(500);
    expect(await eventCount()).toBe(before + 500);
  }, 60_000);

  it("refuses a body streamed without a length past the route's 4 MiB with 413, storing nothing", async () => {
    const before = await eventCount();
    const piece = new TextEncoder().encode(`{"type":"web.visit","title":"${"x".repeat(60_000)}"},`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode("["));
        // 5 MiB and a little more of events, then the end of the array.
        if (sent > 5 * 1024 * 1024) {
          controller.enqueue(new TextEncoder().encode('{"type":"web.visit"}]'));
          controller.close();
          return;
        }
        controller.enqueue(piece);
        sent += piece.byteLength;
      },
    });
    const response = await fetch(`${server.url}/api/v1/t/${HOME}/events`, {
      method: "POST",
      headers: headers("application/json"),
      body: stream,
    });
    expect(response.status).toBe(413);
    expect(await eventCount()).toBe(before);
    // And the route goes on: a batch after it is stored.
    const next = await fetch(`${server.url}/api/v1/t/${HOME}/events`, {
      method: "POST",
      headers: headers("application/msgpack"),
      body: new Uint8Array(pack(batchOf(102, 25))),
    });
    expect(await next.json()).toEqual({ stored: 25, rejected: [] });
    expect(await eventCount()).toBe(before + 25);
  }, 60_000);
});
