import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { connect, type Socket } from "node:net";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

const DRAIN_S = 4;
/** Far past the drain: without the drain's deadline the slow client would hold shutdown this long. */
const BODY_TIMEOUT_S = 300;

const dir = tempDir();
let key = "";
let server: TestServer;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant("drain");
  key = await data.apiKey("drain");
  data.close();
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_SHUTDOWN_DRAIN_SECONDS: String(DRAIN_S), CRM_BODY_TIMEOUT_SECONDS: String(BODY_TIMEOUT_S) },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

/** A raw connection that collects everything the server sends until it closes. */
function open(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(Number(url.port), url.hostname);
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("data", (chunk) => {
      received += chunk.toString();
    });
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, received: () => received, closed }));
    socket.once("error", reject);
  });
}

/** Waits for `condition` to hold, checking every few milliseconds, for at most `ms`. */
async function until(condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

/** A request another connection got answered: the server has read whatever was sent before it. */
async function roundTrip(): Promise<void> {
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
}

const headers = (length: number) =>
  `POST /api/v1/t/drain/contacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe("shutdown", () => {
  it(`drains for CRM_SHUTDOWN_DRAIN_SECONDS: a request in flight completes, a slow client is cut off, and the process exits`, async () => {
    // A client that never finishes its body.
    const slow = await open();
    slow.socket.write(headers(1000));
    slow.socket.write("{");
    const trickling = setInterval(() => slow.socket.write(" "), 100);

    // A normal request, half sent when the signal comes, the rest soon after.
    const body = JSON.stringify({ firstName: "Inflight", lastName: "Request" });
    const normal = await open();
    normal.socket.write(headers(body.length) + body.slice(0, 10));
    await roundTrip();

    const signalled = Date.now();
    server.proc.kill("SIGTERM");
    await server.waitForLine((l) => l.msg === "shutting down");
    normal.socket.write(body.slice(10));
    await until(() => normal.received().includes("\r\n\r\n"));
    const code = await server.proc.exited;
    const tookMs = Date.now() - signalled;
    clearInterval(trickling);
    await slow.closed;

    expect(normal.received().split("\r\n")[0]).toBe("HTTP/1.1 201 Created");
    expect(code).toBe(0);
    // Past the drain the slow client was cut off, well before its body's own time limit.
    expect(tookMs).toBeGreaterThanOrEqual(DRAIN_S * 1000 - 100);
    expect(tookMs).toBeLessThan((DRAIN_S + 10) * 1000);
    expect(slow.received()).not.toContain("HTTP/1.1 2");
    const late = await server.waitForLine(
      (l) => l.msg === "drain deadline passed: closing the connections left",
    );
    expect(late).toMatchObject({ level: "warn", drainSeconds: DRAIN_S });
    await server.waitForLine((l) => l.msg === "stopped");

    // What was acknowledged is there after a restart.
    server = await startServer({ dataDir: dir.path });
    const listed = await api(server.url, key)("GET", "/t/drain/contacts");
    expect(listed.json.data.map((c: { firstName: string }) => c.firstName)).toEqual(["Inflight"]);
  }, 60_000);
});
