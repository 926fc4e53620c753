import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { connect } from "node:net";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { upload } from "./support/import-upload.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * CRM_BODY_TIMEOUT_SECONDS holds for bodies of unknown length (Transfer-Encoding: chunked) as
 * for declared ones: a chunked body still trickling, or stalled, at the limit is answered 408,
 * through the real server over a raw socket. The events route checks the workspace and the
 * key's tenant before it reads a byte of the body; a chunked body that arrives in time is served
 * as ever, and a CSV upload keeps its own rule (stopped only when nothing arrives for that long).
 */
const SLUG = "deadline";
const BODY_TIMEOUT_S = 2;
const dir = tempDir();
let server: TestServer;
let data: DataDir;
let tenant: Tenant;
let key: string;
let otherKey: string;
let owner: BrowserClient;

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant(SLUG, "owner@deadline.test");
  await data.tenant("elsewhere");
  key = await data.apiKey(SLUG, "member");
  otherKey = await data.apiKey("elsewhere", "member");
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_BODY_TIMEOUT_SECONDS: String(BODY_TIMEOUT_S) },
  });
  owner = await signIn(server.url, SLUG, "owner@deadline.test");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

const count = (table: string) =>
  data.shards.use(
    tenant,
    (s) => (s.statement(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
  );

/**
 * Sends `path`'s headers with a chunked body, then one 1-byte chunk every second ("trickle",
 * never ending) or one chunk and nothing more ("stall"); resolves with everything the server
 * sent once its answer names `expect`, or when the socket closes, or after 30 s.
 */
async function chunked(
  path: string,
  headers: string[],
  pace: "trickle" | "stall",
  expected: string,
): Promise<{ text: string }> {
  const url = new URL(server.url);
  const socket = connect(Number(url.port), url.hostname);
  let text = "";
  let timer: Timer | undefined;
  const done = new Promise<void>((resolve) => {
    socket.on("connect", () => {
      const head = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, "Transfer-Encoding: chunked", ...headers];
      socket.write(`${head.join("\r\n")}\r\n\r\n1\r\n[\r\n`);
      if (pace === "trickle") timer = setInterval(() => socket.write("1\r\n \r\n"), 1000);
    });
    socket.on("data", (chunk) => {
      text += chunk.toString();
      if (text.includes(expected)) resolve();
    });
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
    setTimeout(resolve, 30_000);
  });
  await done;
  clearInterval(timer);
  socket.destroy();
  return { text };
}

const TIMEOUT_TEXT = `the request body did not arrive within ${BODY_TIMEOUT_S} seconds`;
const statusLine = (text: string) => text.split("\r\n")[0];

describe("the request body time limit on chunked bodies", () => {
  it("answers 408 to an event batch still trickling in at the limit, storing nothing", async () => {
    const before = await count("events");
    const { text } = await chunked(
      `/api/v1/t/${SLUG}/events`,
      [`Authorization: Bearer ${key}`, "Content-Type: application/json"],
      "trickle",
      TIMEOUT_TEXT,
    );
    expect(statusLine(text)).toBe("HTTP/1.1 408 Request Timeout");
    expect(text.toLowerCase()).toContain("content-type: application/problem+json");
    expect(text).toContain(TIMEOUT_TEXT);
    expect(await count("events")).toBe(before);
  }, 60_000);

  it("answers 408 to an event batch that stops sending", async () => {
    const { text } = await chunked(
      `/api/v1/t/${SLUG}/events`,
      [`Authorization: Bearer ${key}`, "Content-Type: application/json"],
      "stall",
      TIMEOUT_TEXT,
    );
    expect(statusLine(text)).toBe("HTTP/1.1 408 Request Timeout");
    expect(text).toContain(TIMEOUT_TEXT);
  }, 60_000);

  it("answers 408 to a page's form and an API body sent chunked past the limit, writing nothing", async () => {
    const before = await count("contacts");
    const form = await chunked(
      `/t/${SLUG}/contacts`,
      ["Content-Type: application/x-www-form-urlencoded"],
      "trickle",
      TIMEOUT_TEXT,
    );
    expect(statusLine(form.text)).toBe("HTTP/1.1 408 Request Timeout");
    expect(form.text).toContain(TIMEOUT_TEXT);
    const json = await chunked(
      `/api/v1/t/${SLUG}/contacts`,
      [`Authorization: Bearer ${key}`, "Content-Type: application/json"],
      "stall",
      TIMEOUT_TEXT,
    );
    expect(statusLine(json.text)).toBe("HTTP/1.1 408 Request Timeout");
    expect(await count("contacts")).toBe(before);
  }, 60_000);

  it("refuses an event batch without a key, with another workspace's key, or for no workspace before reading its body", async () => {
    const cases: [string, string[], string][] = [
      [`/api/v1/t/${SLUG}/events`, [], "HTTP/1.1 401 Unauthorized"],
      [`/api/v1/t/${SLUG}/events`, [`Authorization: Bearer ${otherKey}`], "HTTP/1.1 401 Unauthorized"],
      // A workspace that does not exist answers as a wrong key does (src/auth/api-key-middleware.ts).
      [`/api/v1/t/no-such-place/events`, [`Authorization: Bearer ${key}`], "HTTP/1.1 401 Unauthorized"],
    ];
    for (const [path, headers, expected] of cases) {
      const { text } = await chunked(
        path,
        [...headers, "Content-Type: application/json"],
        "trickle",
        expected,
      );
      // Answered while the body was still coming (it never ends): not a 408 at the time limit.
      expect(statusLine(text)).toBe(expected);
    }
  }, 120_000);

  it("serves chunked bodies that arrive within the limit, on the events route and elsewhere", async () => {
    const encoder = new TextEncoder();
    const streamOf = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(text));
          controller.close();
        },
      });
    const call = api(server.url, key);
    const events = await fetch(`${server.url}/api/v1/t/${SLUG}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: streamOf(JSON.stringify([{ type: "web.visit", email: "nobody@deadline.test" }])),
    });
    expect(events.status).toBe(200);
    expect(((await events.json()) as { stored: number; rejected: unknown[] }).rejected).toHaveLength(1);
    const contact = await fetch(`${server.url}/api/v1/t/${SLUG}/contacts`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: streamOf(JSON.stringify({ firstName: "Chunked", email: "chunked@deadline.test" })),
    });
    expect(contact.status).toBe(201);
    expect(
      (await call("GET", `/t/${SLUG}/contacts/${((await contact.json()) as { id: number }).id}`)).status,
    ).toBe(200);
  }, 60_000);

  it("lets a CSV upload take longer than the limit in all while its bytes keep coming", async () => {
    const encoder = new TextEncoder();
    const rows = 6;
    let sent = 0;
    // One row every half second: 3 s in all, never a gap of 2 s.
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(encoder.encode("First Name,Last Name,Email\n"));
        if (sent === rows) return controller.close();
        await Bun.sleep(500);
        controller.enqueue(encoder.encode(`Slow${sent},Sender,slow${sent}@deadline.test\n`));
        sent++;
      },
    });
    const started = Date.now();
    const response = await upload(owner, SLUG, slow);
    expect(Date.now() - started).toBeGreaterThan(BODY_TIMEOUT_S * 1000);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toMatch(new RegExp(`^/t/${SLUG}/imports/\\d+$`));
  }, 60_000);
});
