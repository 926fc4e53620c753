import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { hostname } from "node:os";
import { createApp } from "../src/app/create-app.ts";
import type { ServerDeps } from "../src/app/server-deps.ts";
import { createDeps } from "../src/app/start-server.ts";
import { getBackgroundTask } from "../src/background/background-tasks.ts";
import { runsHere, startInBackground } from "../src/background/start-background-task.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import type { Actor } from "../src/identity/viewer.ts";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import { WorkerPool } from "../src/workers/pool.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * Background tasks through the real app, real worker threads and a real workspace file: the
 * task (test/support/pool-fixture-entry.ts "count") reports progress into its row from its
 * thread; the page shows it, polls while it runs, and Cancel stops it.
 */
const FIXTURE = new URL("./support/pool-fixture-entry.ts", import.meta.url).href;
const dir = tempDir();
let deps: ServerDeps;
let server: ReturnType<typeof Bun.serve>;
let base: string;
let tenant: Tenant;
let owner: BrowserClient;
let member: BrowserClient;
let ownerActor: Actor;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  tenant = await data.tenant("bg", "owner@bg.test");
  await data.user("bg", "member@bg.test", "member");
  await data.user("bg", "admin@bg.test", "admin");
  data.close();
  deps = createDeps(
    loadConfig({ ...FAST_HASHING, CRM_DATA: dir.path, CRM_ACCESS_LOG: "false" }),
    new Logger({ write() {}, flush() {} }),
  );
  deps.pool = new WorkerPool({
    dataDir: dir.path,
    threads: 1,
    maxQueue: 4,
    timeoutMs: 30_000,
    entry: FIXTURE,
  });
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(deps).fetch });
  base = `http://127.0.0.1:${server.port}`;
  owner = await signIn(base, "bg", "owner@bg.test");
  member = await signIn(base, "bg", "member@bg.test");
  const ownerRow = await deps.shards.use(tenant, (s) =>
    s.statement("SELECT id FROM users WHERE email = 'owner@bg.test'").get(),
  );
  ownerActor = { type: "user", id: (ownerRow as { id: number }).id, role: "owner" };
});

afterAll(async () => {
  await server.stop(true);
  await deps.pool.close();
  deps.shards.closeAll();
  deps.catalog.close();
  dir.remove();
});

const start = (params: object, actor: Actor = ownerActor) =>
  deps.shards.use(tenant, (shard) =>
    startInBackground(deps, tenant, shard, actor, {
      kind: "test",
      label: "Counting sheep",
      task: "count",
      params,
    }),
  );

/** Reads the task's row as the page would, until `done` says so (or the deadline passes). */
async function waitFor(id: number, done: (status: string, steps: number) => boolean, ms = 20_000) {
  const deadline = performance.now() + ms;
  for (;;) {
    const task = await deps.shards.use(tenant, (s) =>
      getBackgroundTask(s, ownerActor, id, runsHere(tenant.id)),
    );
    if (done(task.status, task.done)) return task;
    if (performance.now() > deadline) throw new Error(`task ${id} still ${task.status} at ${task.done}`);
    await Bun.sleep(20);
  }
}

describe("background tasks", () => {
  it("run in a worker, report progress into their row as they go, and end with their outcome on their page", async () => {
    const id = await start({ steps: 40, ms: 25 });
    const midway = await waitFor(id, (status, steps) => status === "running" && steps >= 5);
    expect(midway.total).toBe(40);
    const running = await owner.get(`/t/bg/background/${id}`);
    expect(running.status).toBe(200);
    expect(running.text).toContain("<h1>Counting sheep</h1>");
    expect(running.text).toMatch(/<progress max="40" value="\d+">/);
    // While it runs the section asks again every second (htmx), and offers Cancel.
    expect(running.text).toContain(`hx-get="/t/bg/background/${id}" hx-trigger="every 1s"`);
    expect(running.text).toContain(`action="/t/bg/background/${id}/cancel"`);

    const done = await waitFor(id, (status) => status === "done");
    expect(done.done).toBe(40);
    const fragment = await owner.get(`/t/bg/background/${id}`, { "hx-request": "true" });
    expect(fragment.text).toStartWith(`<section id="task-${id}"`);
    expect(fragment.text).toContain("Done.");
    expect(fragment.text).toContain("<li>Counted to 40.</li>");
    // Finished: no more polling, no Cancel.
    expect(fragment.text).not.toContain('hx-trigger="every 1s"');
    expect(fragment.text).not.toContain("/cancel");
  });

  it("Cancel stops the task at its next step: it ends cancelled, short of its last step", async () => {
    const id = await start({ steps: 200, ms: 20 });
    await waitFor(id, (status, steps) => status === "running" && steps >= 3);
    const cancelled = await owner.post(`/t/bg/background/${id}/cancel`, {});
    expect(cancelled.status).toBe(303);
    const task = await waitFor(id, (status) => status === "cancelled");
    expect(task.done).toBeLessThan(200);
    expect(task.message).toBe("cancelled: nothing was changed");
    const page = await owner.get(`/t/bg/background/${id}`);
    expect(page.text).toContain("Cancelled.");
  });

  it("a person sees their own tasks and admins see everyone's; another member's, or an id of nowhere, is a 404", async () => {
    const id = await start({ steps: 1, ms: 0 });
    await waitFor(id, (status) => status === "done");
    expect((await member.get(`/t/bg/background/${id}`)).status).toBe(404);
    expect((await member.post(`/t/bg/background/${id}/cancel`, {})).status).toBe(404);
    const admin = await signIn(base, "bg", "admin@bg.test");
    expect((await admin.get(`/t/bg/background/${id}`)).status).toBe(200);
    expect((await owner.get("/t/bg/background/999999999")).status).toBe(404);
    const memberRow = await deps.shards.use(tenant, (s) =>
      s.statement("SELECT id FROM users WHERE email = 'member@bg.test'").get(),
    );
    const mine = await start(
      { steps: 1, ms: 0 },
      { type: "user", id: (memberRow as { id: number }).id, role: "member" },
    );
    await waitFor(mine, (status) => status === "done");
    expect((await member.get(`/t/bg/background/${mine}`)).status).toBe(200);
  });

  it("a task whose process is gone (a restart) is shown as interrupted, with no polling and no Cancel", async () => {
    const id = await deps.shards.use(tenant, (s) => {
      const row = s
        .statement(
          `INSERT INTO background_tasks (kind, label, status, done, total, runner, created_by, created_at, updated_at)
           VALUES ('test', 'Left behind', 'running', 10, 100, 'another-host:1', ?, ?, ?) RETURNING id`,
        )
        .get(ownerActor.id, Date.now() - 600_000, Date.now() - 600_000) as { id: number };
      return row.id;
    });
    const page = await owner.get(`/t/bg/background/${id}`);
    expect(page.text).toContain(
      "Interrupted: the server stopped before this finished. Start it again if you still need it.",
    );
    expect(page.text).not.toContain('hx-trigger="every 1s"');
    expect(page.text).not.toContain("/cancel");
  });

  it("a task whose process on this machine is gone is interrupted at once, not after a minute of silence", async () => {
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    const id = await deps.shards.use(tenant, (s) => {
      const row = s
        .statement(
          `INSERT INTO background_tasks (kind, label, status, done, total, runner, created_by, created_at, updated_at)
           VALUES ('import', 'Killed', 'running', 15, 100, ?, ?, ?, ?) RETURNING id`,
        )
        .get(`${hostname()}:${gone.pid}`, ownerActor.id, Date.now(), Date.now()) as { id: number };
      return row.id;
    });
    const page = await owner.get(`/t/bg/background/${id}`);
    expect(page.text).toContain(
      "Interrupted: the server stopped before this finished. What it wrote is taken back automatically.",
    );
    expect(page.text).not.toContain("/cancel");
  });
});
