import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { createApp } from "../src/app/create-app.ts";
import type { ServerDeps } from "../src/app/server-deps.ts";
import { createDeps } from "../src/app/start-server.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { WAL_CHECKPOINT_BYTES } from "../src/tenancy/wal-checkpoints.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * A checkpoint of a workspace's write-ahead log is upkeep the server asks of the pool on its
 * own: with CRM_WORKER_PER_WORKSPACE=1 it must not take the workspace's one slot, or the lone
 * integration uploading events there is answered 503 while it runs. The real app, its real
 * pool (one thread) and real files.
 */
const HOME = "upkeep-co";
const OTHER = "upkeep-other";

const dir = tempDir();
let data: DataDir;
let deps: ServerDeps;
let server: ReturnType<typeof Bun.serve>;
let home: Tenant;
let other: Tenant;
let homeCall: ReturnType<typeof api>;
let otherCall: ReturnType<typeof api>;

/** Waits for `ready()` with a deadline (no fixed sleeps). */
async function until(ready: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const visits = (email: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    type: "web.visit",
    email,
    occurredAt: Date.now() - 60_000 - i,
    url: `https://shop.example/p/${i}`,
  }));

const eventCount = (tenant: Tenant) =>
  data.shards.use(tenant, (s) => (s.statement("SELECT count(*) AS n FROM events").get() as { n: number }).n);

beforeAll(async () => {
  data = new DataDir(dir.path);
  home = await data.tenant(HOME);
  other = await data.tenant(OTHER);
  const homeKey = await data.apiKey(HOME, "member");
  const otherKey = await data.apiKey(OTHER, "member");
  // Somewhere to write pages of the server's own that no page of the product reads.
  await data.shards.use(home, (s) => s.sqlite.run("CREATE TABLE filler (b BLOB)"));
  data.shards.closeAll();
  deps = createDeps(
    loadConfig({
      ...FAST_HASHING,
      CRM_DATA: dir.path,
      CRM_ACCESS_LOG: "false",
      CRM_WORKERS: "1",
      CRM_WORKER_PER_WORKSPACE: "1",
    }),
    new Logger({ write() {}, flush() {} }),
  );
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(deps).fetch });
  const base = `http://127.0.0.1:${server.port}`;
  homeCall = api(base, homeKey);
  otherCall = api(base, otherKey);
  for (const [call, slug, email] of [
    [homeCall, HOME, "ada@example.com"],
    [otherCall, OTHER, "bob@example.com"],
  ] as const) {
    const created = await call("POST", `/t/${slug}/contacts`, { firstName: "P", email });
    expect(created.status).toBe(201);
  }
});

afterAll(async () => {
  server?.stop(true);
  await deps?.pool.close();
  deps?.shards.closeAll();
  deps?.catalog.close();
  data?.close();
  dir.remove();
});

describe("a checkpoint in the pool", () => {
  it("takes none of the workspace's share: a lone uploader's batch waits for the thread instead of a 503, and both finish", async () => {
    // The pool's one thread kept busy by another workspace: its batch waits for that file's write lock.
    const locker = new Database(join(dir.path, other.file));
    locker.run("BEGIN IMMEDIATE");
    const otherPost = otherCall("POST", `/t/${OTHER}/events`, visits("bob@example.com", 3));
    await until(() => deps.pool.stats().running === 1, "the other workspace's batch running");

    // The server's own writes grow the home workspace's log past the bound: a checkpoint is asked, and waits.
    const asked = deps.shards.checkpointsAsked;
    await deps.shards.use(home, (shard) =>
      shard.transaction(() =>
        shard.statement("INSERT INTO filler (b) VALUES (randomblob(?))").run(2 * WAL_CHECKPOINT_BYTES),
      ),
    );
    // Asked when a request lets go of the file, at most once a second per workspace: let go until it is.
    const deadline = performance.now() + 20_000;
    while (deps.shards.checkpointsAsked === asked && performance.now() < deadline) {
      await deps.shards.use(home, () => {});
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(deps.shards.checkpointsAsked).toBe(asked + 1);
    expect(deps.shards.checkpointsPending).toBe(1);
    expect(deps.pool.stats()).toMatchObject({ running: 1, queued: 1 });

    // The lone uploader of the home workspace: its batch is let in behind the checkpoint, not refused.
    let answered = false;
    const homePost = homeCall("POST", `/t/${HOME}/events`, visits("ada@example.com", 5), {
      "idempotency-key": "upkeep-1",
    }).finally(() => {
      answered = true;
    });
    await until(() => answered || deps.pool.stats().queued === 2, "the home batch reaching the pool");
    expect(answered).toBe(false);
    expect(deps.pool.stats()).toMatchObject({ queued: 2, refusedWorkspace: 0 });

    locker.run("COMMIT");
    locker.close();
    const [homeAnswer, otherAnswer] = await Promise.all([homePost, otherPost]);
    expect(homeAnswer.status).toBe(200);
    expect(homeAnswer.json).toEqual({ stored: 5, rejected: [] });
    expect(otherAnswer.status).toBe(200);
    expect(otherAnswer.json).toEqual({ stored: 3, rejected: [] });
    await until(() => deps.shards.checkpointsPending === 0, "the checkpoint done");
    expect(deps.pool.stats()).toMatchObject({ running: 0, queued: 0, workspaces: 0, refused: 0 });
    expect(await eventCount(home)).toBe(5);
    expect(await eventCount(other)).toBe(3);
  });

  it("still counts for the workspace's requests what they run themselves: a second batch at once is refused with 503 and stores nothing", async () => {
    const before = await eventCount(home);
    const locker = new Database(join(dir.path, home.file));
    locker.run("BEGIN IMMEDIATE");
    const first = homeCall("POST", `/t/${HOME}/events`, visits("ada@example.com", 2));
    await until(() => deps.pool.stats().running === 1, "the first batch running");
    const second = await homeCall("POST", `/t/${HOME}/events`, visits("ada@example.com", 4));
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("2");
    locker.run("COMMIT");
    locker.close();
    expect((await first).json).toEqual({ stored: 2, rejected: [] });
    expect(await eventCount(home)).toBe(before + 2);
  });
});
