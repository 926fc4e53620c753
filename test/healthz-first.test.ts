import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createApp } from "../src/app/create-app.ts";
import type { ServerDeps } from "../src/app/server-deps.ts";
import { createDeps, serverFetch } from "../src/app/start-server.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * README, Operations: /healthz and /readyz are answered before the app, so a probe costs the
 * server's thread a few microseconds, not a pass through the app. Here the server's real fetch
 * (as `crm serve` builds it) over a real data directory, with a workspace's requests held
 * inside the app: the probes still answer, with the app's headers, and the app never sees them.
 */
const dir = tempDir();
let data: DataDir;
let deps: ServerDeps;
let server: ReturnType<typeof Bun.serve>;
let base: string;
const lines: string[] = [];
let release: () => void = () => {};
const held = new Promise<void>((resolve) => {
  release = resolve;
});
let arrived = 0;
/** The paths the app was asked for. */
const asked: string[] = [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("held");
  deps = createDeps(
    loadConfig({ ...FAST_HASHING, CRM_DATA: dir.path, CRM_WORKERS: "1" }),
    new Logger({
      write(line) {
        lines.push(line);
      },
      flush() {},
    }),
  );
  const app = createApp(deps);
  // The app, except that the workspace "held"'s requests wait until the test lets them go.
  const fetch = async (request: Request) => {
    asked.push(new URL(request.url).pathname);
    if (new URL(request.url).pathname.startsWith("/t/held/")) {
      arrived++;
      await held;
    }
    return app.fetch(request);
  };
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: serverFetch(deps, { fetch }) });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  release();
  await server?.stop(true);
  await deps?.pool.close();
  deps?.shards.closeAll();
  deps?.catalog.close();
  data?.close();
  dir.remove();
});

describe("health probes before the app", () => {
  it("answer while requests wait in the app, with the app's headers and log line", async () => {
    const waiting = Array.from({ length: 20 }, () => fetch(`${base}/t/held/login`, { redirect: "manual" }));
    const deadline = Date.now() + 20_000;
    while (arrived < 20) {
      if (Date.now() > deadline) throw new Error("the held requests did not reach the app");
      await Bun.sleep(5);
    }
    const health = await fetch(`${base}/healthz`, { headers: { "x-request-id": "probe-1" } });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("content-type")).toBe("application/json");
    expect(health.headers.get("x-request-id")).toBe("probe-1");
    expect(health.headers.get("cache-control")).toBe("no-store");
    expect(health.headers.get("x-frame-options")).toBe("DENY");
    expect(health.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[\w-]{22}'/);
    const ready = await fetch(`${base}/readyz?verbose=1`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", failedWorkspaces: [], openShards: 0 });
    const head = await fetch(`${base}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.requestId === "probe-1");
    expect(logged).toMatchObject({
      msg: "request",
      method: "GET",
      route: "/healthz",
      status: 200,
      tenant: null,
    });
    // Not a probe: a path that only starts like one, and a POST, go to the app (a 404 there).
    expect((await fetch(`${base}/healthzz`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: "POST" })).status).toBe(404);
    // The app never saw a probe.
    expect(asked.filter((p) => !p.startsWith("/t/held/"))).toEqual(["/healthzz", "/healthz"]);

    release();
    const answered = await Promise.all(waiting);
    expect(answered.map((r) => r.status)).toEqual(Array(20).fill(200));
  });

  it("says draining on /readyz once shutdown has begun, still before the app", async () => {
    const draining = createDeps(
      loadConfig({ ...FAST_HASHING, CRM_DATA: dir.path, CRM_WORKERS: "1" }),
      new Logger({ write() {}, flush() {} }),
      () => true,
    );
    try {
      const fetch = serverFetch(draining, {
        fetch: () => {
          throw new Error("the app was asked");
        },
      });
      const response = await fetch(new Request(`${base}/readyz`), server);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "draining" });
    } finally {
      await draining.pool.close();
      draining.shards.closeAll();
      draining.catalog.close();
    }
  });
});
