import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD } from "./support/workspace.ts";

const dir = tempDir();
let data: DataDir;
let server: TestServer;
let key: string;

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("ops");
  await data.tenant("quiet");
  key = await data.apiKey("ops");
  server = await startServer({ dataDir: dir.path });
});

afterAll(async () => {
  await server.stop();
  data.close();
  dir.remove();
});

describe("health", () => {
  it("answers /healthz and /readyz", async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", maxOpenShards: 512 });
  });
});

describe("request log", () => {
  it("writes one JSON line per request with method, route pattern, status, ms, tenant and request id", async () => {
    const call = api(server.url, key);
    const created = await call(
      "POST",
      "/t/ops/contacts",
      { firstName: "Logged" },
      { "x-request-id": "trace-123" },
    );
    expect(created.headers.get("x-request-id")).toBe("trace-123");
    const line = await server.waitForLine((l) => l.requestId === "trace-123");
    expect(line).toMatchObject({
      msg: "request",
      method: "POST",
      route: "/api/v1/t/:tenant/contacts",
      status: 201,
      tenant: "ops",
    });
    expect(typeof line.ms).toBe("number");
    expect(JSON.stringify(line)).not.toContain("Logged");

    await call("GET", `/t/ops/contacts/${created.json.id}`, undefined, { "x-request-id": "trace-456" });
    const get = await server.waitForLine((l) => l.requestId === "trace-456");
    // The pattern, not the path: ids and emails in URLs stay out of the logs.
    expect(get.route).toBe("/api/v1/t/:tenant/contacts/:id");

    const missing = await fetch(`${server.url}/nowhere`, { headers: { "x-request-id": "trace-789" } });
    expect(missing.status).toBe(404);
    expect(await server.waitForLine((l) => l.requestId === "trace-789")).toMatchObject({
      status: 404,
      tenant: null,
    });
  });

  it("replaces a request id that is not plain text", async () => {
    const response = await fetch(`${server.url}/healthz`, {
      headers: { "x-request-id": 'bad id\twith"quotes' },
    });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("graceful shutdown", () => {
  it("on SIGTERM finishes the request in flight, exits 0 and closes every shard cleanly", async () => {
    const own = await startServer({
      dataDir: dir.path,
      env: {
        CRM_ARGON2_MEMORY_KIB: "65536",
        CRM_ARGON2_TIME_COST: "4",
        CRM_SHARD_IDLE_SECONDS: "1",
      },
    });
    const openShards = async () =>
      ((await (await fetch(`${own.url}/readyz`)).json()) as { openShards: number }).openShards;
    const until = async (what: string, done: () => Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await Bun.sleep(2);
      }
    };
    const client = new BrowserClient(own.url);
    await client.get("/t/quiet/login");
    // The workspace's file is closed once idle; the sign-in opens it and holds it while it hashes
    // (hundreds of ms), so seeing it open again means the request is in flight.
    await until("the idle workspace to close", async () => (await openShards()) === 0);
    const inFlight = client.post(
      "/t/quiet/login",
      { email: "owner@quiet.test", password: PASSWORD },
      { "x-request-id": "in-flight-sign-in" },
    );
    await until("the sign-in to open the workspace", async () => (await openShards()) === 1);
    const exit = own.stop();
    const response = await inFlight;
    expect(response.status).toBe(303);
    expect(await exit).toBe(0);
    // The signal landed while the sign-in was still being answered.
    const order = own.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const shuttingDown = order.findIndex((l) => l.msg === "shutting down");
    const answered = order.findIndex((l) => l.requestId === "in-flight-sign-in");
    expect(shuttingDown).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(shuttingDown);
    expect(order[answered]).toMatchObject({ status: 303, route: "/t/:tenant/login" });
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
    // Only that server had this workspace open; closing it checkpointed the WAL and removed it.
    const file = join(dir.path, data.get("quiet").file);
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(own.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});
