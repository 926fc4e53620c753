import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { createApp } from "../src/app/create-app.ts";
import type { ServerDeps } from "../src/app/server-deps.ts";
import { createDeps, serverFetch } from "../src/app/start-server.ts";
import { startInBackground } from "../src/background/start-background-task.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { WorkerPool } from "../src/workers/pool.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * One workspace must never slow another. Through the real app over real files and real worker
 * threads, in this process so the event loop's stalls are measured where they would happen:
 * workspace "loud" loops its heaviest legitimate operations at once (a bulk change of 5,000
 * contacts, a record page with 20 notes of 10,000 characters, a workspace download, an
 * erasure, writes while another process holds its file's write lock, reports fired four at a
 * time) while workspace "calm"'s contacts page and /healthz keep answering as they did idle.
 * And "loud" cannot take the whole worker pool: past its share, its heavy requests alone get 503.
 */

/** The pool's own test tasks (sleep, count) beside the product's (reports, bulk, privacy). */
const FIXTURE = new URL("./support/pool-fixture-entry.ts", import.meta.url).href;
const PER_WORKSPACE = 4;
const BULK = 5_000;
const PERSONS = 12;
const dir = tempDir();
let data: DataDir;
let deps: ServerDeps;
let server: ReturnType<typeof Bun.serve>;
let base: string;
let a: BrowserClient;
let b: BrowserClient;
let aApi: ReturnType<typeof api>;
let aTenant: ReturnType<DataDir["get"]>;
let aOwnerId: number;
let notedContact: number;
let writtenContact: number;
const persons: number[] = [];

const useShard = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);

/**
 * The bound on the victim's p99 and on the loop's stalls. The operations stall nothing here;
 * what is left is the machine: on a shared 2-core box with a load of 8–10 the loop was seen
 * late by up to ~350 ms idle and, once in a while, ~600–800 ms with the load's clients in this
 * process too. So one stall past the bound is forgiven, and the slowest answer has a bound of
 * its own (HARD_BOUND_MS). The same work on the server's thread stalls it at every run: 0.5–6 s
 * (a 5,000-record bulk change ~1 s on a quiet machine, 5.8 s seen on a busy one), so a
 * blocking version fails.
 */
const BOUND_MS = 500;
const HARD_BOUND_MS = 2_000;
const HEALTHZ_MEDIAN_MS = 150;
let bound = BOUND_MS;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

/** Watches the event loop with a 5 ms timer until stopped; returns each lateness over 50 ms, longest first. */
function watchLoop() {
  const stalls: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last - 5 > 50) stalls.push(now - last - 5);
    last = now;
  }, 5);
  return () => {
    clearInterval(timer);
    return stalls.sort((x, y) => y - x);
  };
}

/** What the victim saw: "calm"'s contacts page and /healthz, each asked again as soon as it answered. */
interface Victim {
  page: number[];
  pageStatuses: number[];
  healthz: number[];
}

/** Loads "calm"'s contacts page and /healthz in two sequential streams until `done()` and at least `atLeast` each. */
async function victim(done: () => boolean, atLeast: number, deadlineMs: number): Promise<Victim> {
  const seen: Victim = { page: [], pageStatuses: [], healthz: [] };
  const deadline = performance.now() + deadlineMs;
  const stream = async (one: () => Promise<void>, count: () => number) => {
    while (!(done() && count() >= atLeast)) {
      if (performance.now() > deadline) throw new Error("the load did not complete its rounds in time");
      await one();
    }
  };
  await Promise.all([
    stream(
      async () => {
        const started = performance.now();
        const response = await b.get("/t/calm/contacts");
        seen.page.push(performance.now() - started);
        seen.pageStatuses.push(response.status);
      },
      () => seen.page.length,
    ),
    stream(
      async () => {
        const started = performance.now();
        const response = await fetch(`${base}/healthz`);
        await response.text();
        seen.healthz.push(performance.now() - started);
        if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
      },
      () => seen.healthz.length,
    ),
  ]);
  return seen;
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  aTenant = await data.tenant("loud");
  await data.tenant("calm");
  // Seeded by the real command in a process of its own (this heap is where stalls are measured).
  const seeded = Bun.spawnSync(
    [
      process.execPath,
      "src/cli.ts",
      "seed",
      "--tenant",
      "loud",
      "--contacts",
      String(BULK),
      "--seed",
      "7",
      "--deals",
      "300",
      "--interactions-per-contact",
      "1",
      "--data",
      dir.path,
    ],
    { cwd: join(import.meta.dir, ".."), stdout: "pipe", stderr: "pipe" },
  );
  expect(seeded.exitCode).toBe(0);
  await useShard("loud", (s) =>
    s.transaction(() => {
      const now = Date.now();
      // The bulk change's target, all of them: a list filter of its own (created on 1 Jan 1970).
      s.statement("UPDATE contacts SET created_at = 86400000").run();
      const contact = s.statement(
        "INSERT INTO contacts (first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
      );
      const note = s.statement(
        "INSERT INTO notes (body, subject_type, subject_id, created_at, updated_at) VALUES (?, 'contact', ?, ?, ?)",
      );
      notedContact = (contact.get("Noted", "Person", "noted@a.example", now, now) as { id: number }).id;
      // 10,000 characters of what made note rendering quadratic: runs of punctuation after links.
      const body =
        `See https://example.com/a/b?c=d${".,;:!?)]'\"".repeat(600)} and www.example.org/x${"!".repeat(3000)}`
          .padEnd(10_000, ".")
          .slice(0, 10_000);
      for (let i = 0; i < 20; i++) note.run(body, notedContact, now + i, now + i);
      writtenContact = (contact.get("Written", "Often", "written@a.example", now, now) as { id: number }).id;
      for (let i = 0; i < PERSONS; i++) {
        const email = `erase-${i}@person.example`;
        const id = (contact.get(`Erasable${i}`, "Person", email, now, now) as { id: number }).id;
        note.run(`Wrote to ${email}`, id, now, now);
        persons.push(id);
      }
      aOwnerId = (s.statement("SELECT id FROM users WHERE email = 'owner@loud.test'").get() as { id: number })
        .id;
    }),
  );
  deps = createDeps(
    loadConfig({ ...FAST_HASHING, CRM_DATA: dir.path, CRM_ACCESS_LOG: "false", CRM_WORKERS: "1" }),
    new Logger({ write() {}, flush() {} }),
  );
  await deps.pool.close();
  deps.pool = new WorkerPool({
    dataDir: dir.path,
    threads: 1,
    maxQueue: 16,
    perWorkspace: PER_WORKSPACE,
    timeoutMs: 60_000,
    entry: FIXTURE,
  });
  // As `crm serve` answers: probes before the app.
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: serverFetch(deps, createApp(deps)),
    idleTimeout: 60,
  });
  base = `http://127.0.0.1:${server.port}`;
  a = await signIn(base, "loud", "owner@loud.test");
  b = await signIn(base, "calm", "owner@calm.test");
  aApi = api(base, await data.apiKey("loud"));
  const bApi = api(base, await data.apiKey("calm"));
  for (const name of ["Ann", "Ben", "Cat"])
    expect((await bApi("POST", "/t/calm/contacts", { firstName: name })).status).toBe(201);
  // Warm: each workspace's pages, and the worker thread.
  expect((await b.get("/t/calm/contacts")).status).toBe(200);
  expect((await a.get("/t/loud/contacts")).status).toBe(200);
  expect((await a.get("/t/loud/reports/pipeline")).status).toBe(200);
});

afterAll(async () => {
  await server?.stop(true);
  await deps?.pool.close();
  deps?.shards.closeAll();
  deps?.catalog.close();
  data?.close();
  dir.remove();
});

/** A report of "loud"'s, with filters no earlier request used (so it is computed, not cached). */
let reportRound = 0;
const freshReport = (client: BrowserClient, slug: string) => {
  const from = new Date(Date.UTC(2024, 0, 1) + reportRound++ * 86_400_000).toISOString().slice(0, 10);
  return client.get(`/t/${slug}/reports/win-rate?from=${from}&to=2026-12-31`);
};

describe("a workspace's share of the worker pool", () => {
  it("past its share (background tasks included) its heavy pages and API get 503 with Retry-After; another workspace's are served in turn before its queue", async () => {
    const input = { tenantId: aTenant.id, slug: aTenant.slug, file: aTenant.file };
    const pending = new Set<string>();
    const held = [1, 2, 3].map((i) => {
      pending.add(`sleep${i}`);
      return deps.pool
        .run("sleep", { ...input, params: { ms: 800 } })
        .finally(() => pending.delete(`sleep${i}`));
    });
    // The fourth is a background task, started as the pages start them, without waiting.
    const backgroundId = await deps.shards.use(aTenant, (shard) =>
      startInBackground(
        deps,
        aTenant,
        shard,
        { type: "user", id: aOwnerId, role: "owner" },
        {
          kind: "test",
          label: "Counting",
          task: "count",
          params: { steps: 4, ms: 100 },
        },
      ),
    );
    expect(deps.pool.stats()).toMatchObject({ running: 1, queued: 3, workspaces: 1 });

    const page = await freshReport(a, "loud");
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toBe("2");
    expect(page.text).toContain(`this workspace already has ${PER_WORKSPACE} heavy tasks running or waiting`);
    const problem = await aApi("GET", "/t/loud/reports/win-rate?from=2023-01-01&to=2026-12-31");
    expect(problem.status).toBe(503);
    expect(problem.headers.get("retry-after")).toBe("2");
    expect(problem.headers.get("content-type")).toContain("application/problem+json");
    expect(problem.json.detail).toContain("this workspace already has");

    // The other workspace is let in, and its report runs as soon as the first thread is free,
    // ahead of "loud"'s three that waited before it.
    const other = await freshReport(b, "calm");
    expect(other.status).toBe(200);
    expect(other.text).toContain("Win rate");
    expect(pending.size).toBeGreaterThanOrEqual(2);

    await Promise.all(held);
    const finished = await waitForTask(a, `/t/loud/background/${backgroundId}`, 30_000);
    expect(finished.status).toBe("Done.");
    expect((await freshReport(a, "loud")).status).toBe(200);
    expect(deps.pool.stats()).toMatchObject({ running: 0, queued: 0, workspaces: 0 });
  });
});

/** One of "loud"'s operations looped until stopped: its completed rounds and every status it met. */
interface Loop {
  name: string;
  rounds: number;
  statuses: number[];
  notes: string[];
  /** What stopped it early, if anything did (then every loop stops and the test fails saying so). */
  error?: string;
  run: Promise<void>;
}

function loop(name: string, stop: () => boolean, once: (l: Loop) => Promise<void>): Loop {
  const l: Loop = { name, rounds: 0, statuses: [], notes: [], run: Promise.resolve() };
  l.run = (async () => {
    try {
      while (!stop()) await once(l);
    } catch (error) {
      l.error = String((error as Error)?.stack ?? error);
    }
  })();
  return l;
}

/** Starts a background task by posting its form, and follows it to its end; a 503 is a refusal to retry later. */
async function background(l: Loop, post: () => Promise<{ status: number; headers: Headers; text: string }>) {
  const started = await post();
  l.statuses.push(started.status);
  if (started.status === 503) {
    expect(started.headers.get("retry-after")).toMatch(/^\d+$/);
    await Bun.sleep(100); // a client backing off before it tries again
    return;
  }
  expect(started.status).toBe(303);
  const outcome = await followTask(started.headers.get("location") ?? "", l);
  l.notes.push(outcome.status === "Done." ? outcome.status : outcome.text);
  if (outcome.status === "Done.") l.rounds++;
}

/**
 * Reads a task's progress page (the fragment its polling reads) until it has finished; a 503
 * (the workspace's file locked by the task itself or the other process) is an answer to retry.
 */
async function followTask(path: string, l: Loop): Promise<{ status: string; text: string }> {
  expect(path).toMatch(/^\/t\/loud\/background\/\d+$/);
  const deadline = performance.now() + 120_000;
  for (;;) {
    const page = await a.get(path, { "hx-request": "true" });
    l.statuses.push(page.status);
    const status = /<p class="status status-\w+">(Done\.|Failed\.|Cancelled\.)/.exec(page.text)?.[1];
    if (page.status === 200 && status) return { status, text: page.text };
    if (page.status !== 200 && page.status !== 503) throw new Error(`${path}: ${page.status}`);
    if (performance.now() > deadline) throw new Error(`${path} has not finished:\n${page.text}`);
    await Bun.sleep(100); // the page's own polling asks every second
  }
}

/** A separate process that takes "loud"'s file's write lock (BEGIN IMMEDIATE) for 300 ms out of every 600, until killed. */
function lockHolder() {
  const file = join(dir.path, aTenant.file);
  const script = `
    import { Database } from "bun:sqlite";
    const db = new Database(${JSON.stringify(file)});
    db.run("PRAGMA busy_timeout = 10000");
    for (;;) {
      db.run("BEGIN IMMEDIATE");
      console.log("locked");
      await Bun.sleep(300);
      db.run("ROLLBACK");
      await Bun.sleep(300);
    }`;
  return Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
}

describe("while one workspace loops its heaviest operations", () => {
  it("another workspace's list page keeps its p99 within 500 ms (idle: a few ms), the loop never stalls twice, /healthz answers fast; the operations still do their work", async () => {
    const idleLoop = watchLoop();
    const idle = await victim(() => true, 80, 60_000);
    const idleLag = idleLoop()[0] ?? 0;
    expect(idle.pageStatuses.every((s) => s === 200)).toBe(true);
    bound = Math.max(BOUND_MS, 3 * percentile(idle.page, 99), 3 * idleLag);

    let stopping = false;
    const stop = () => stopping;
    const holder = lockHolder();
    const firstLock = (async () => {
      const reader = holder.stdout.getReader();
      const { value } = await reader.read();
      reader.releaseLock();
      return new TextDecoder().decode(value);
    })();
    expect(await firstLock).toContain("locked");
    let next = 0;
    const loops: Loop[] = [];
    const busyLoop = watchLoop();
    try {
      loops.push(
        loop("bulk change of 5,000", stop, async (l) => {
          await a.get("/t/loud/contacts");
          const tag = l.rounds % 2 === 0 ? "addTag" : "removeTag";
          await background(l, () =>
            a.post("/t/loud/contacts/bulk", {
              scope: "all",
              filter: "createdTo=1970-01-02",
              ownerId: "",
              action: tag,
              tag: "noisy",
            }),
          );
          const outcome = l.notes.at(-1);
          if (outcome !== undefined && outcome !== "Done.") throw new Error(`bulk change: ${outcome}`);
        }),
        loop("workspace download", stop, (l) =>
          background(l, () => a.post("/t/loud/privacy/workspace.sqlite", {})),
        ),
        loop("erasure", stop, async (l) => {
          const id = persons[next];
          if (id === undefined) return void (await Bun.sleep(50));
          await a.get(`/t/loud/privacy/contacts/${id}/erasure`);
          const before = l.rounds;
          await background(l, () => a.post(`/t/loud/privacy/contacts/${id}/erasure`, {}));
          if (l.rounds > before) next++;
        }),
        loop("record page with 20 long notes", stop, async (l) => {
          // Read as bytes: the load's client should add as little as it can to this thread.
          const page = await fetch(`${base}/t/loud/contacts/${notedContact}`, {
            headers: { cookie: `crm_session=${a.cookie("crm_session")}` },
            redirect: "manual",
          });
          await page.arrayBuffer();
          l.statuses.push(page.status);
          if (page.status === 200) l.rounds++;
        }),
        loop("write under another process's lock", stop, async (l) => {
          const response = await aApi("PATCH", `/t/loud/contacts/${writtenContact}`, {
            title: `T${l.statuses.length}`,
          });
          l.statuses.push(response.status);
          if (response.status === 503) l.notes.push(response.headers.get("retry-after") ?? "none");
          if (response.status === 200) l.rounds++;
        }),
        loop("four reports at once", stop, async (l) => {
          const pages = await Promise.all([1, 2, 3, 4].map(() => freshReport(a, "loud")));
          for (const page of pages) l.statuses.push(page.status);
          if (pages.some((p) => p.status === 200)) l.rounds++;
        }),
      );
      const everyLoopDone = () =>
        loops.some((l) => l.error !== undefined) || loops.every((l) => l.rounds >= 1);
      const busy = await victim(everyLoopDone, 100, 180_000);
      stopping = true;
      await Promise.all(loops.map((l) => l.run));
      const busyStalls = busyLoop();
      const busyLag = busyStalls[0] ?? 0;

      const summary = {
        idle: {
          p50: percentile(idle.page, 50),
          p99: percentile(idle.page, 99),
          lag: Math.round(idleLag),
          healthzP90: percentile(idle.healthz, 90),
        },
        busy: {
          p50: percentile(busy.page, 50),
          p99: percentile(busy.page, 99),
          lag: Math.round(busyLag),
          healthzP50: percentile(busy.healthz, 50),
        },
        bound,
      };
      // What "loud" did meanwhile: every operation completed, refusals were 503s with Retry-After.
      expect(loops.flatMap((l) => (l.error ? [`${l.name}: ${l.error}`] : []))).toEqual([]);
      for (const l of loops)
        expect({ name: l.name, done: l.rounds >= 1 }).toEqual({ name: l.name, done: true });
      for (const l of loops)
        expect({ name: l.name, odd: l.statuses.filter((s) => ![200, 303, 503].includes(s)) }).toEqual({
          name: l.name,
          odd: [],
        });
      for (const l of loops.filter((l) => /bulk|download|erasure/.test(l.name)))
        expect({ name: l.name, notDone: l.notes.filter((n) => n !== "Done.") }).toEqual({
          name: l.name,
          notDone: [],
        });
      if (process.env.NOISY_SUMMARY) console.log(JSON.stringify(summary));
      const writes = loops.find((l) => l.name.startsWith("write")) as Loop;
      // A write the lock held up answered at once: done, or 503 with Retry-After.
      expect(writes.notes.every((r) => /^\d+$/.test(r))).toBe(true);
      // The victim: every page answered, none slower than the bound, the loop never stalled.
      expect(busy.pageStatuses.every((s) => s === 200)).toBe(true);
      expect(busy.page.length).toBeGreaterThanOrEqual(100);
      // Each with the figures beside it, so a failure says how far off it was.
      const slowest = Math.max(...busy.page);
      const p99 = percentile(busy.page, 99);
      expect({ p99UnderBound: p99 < bound, p99, summary }).toMatchObject({ p99UnderBound: true });
      expect({ slowestUnderBound: slowest < HARD_BOUND_MS, slowest, summary }).toMatchObject({
        slowestUnderBound: true,
      });
      const over = busyStalls.filter((ms) => ms >= bound).map(Math.round);
      expect({ stallsOverBound: over, atMostOne: over.length <= 1, summary }).toMatchObject({
        atMostOne: true,
      });
      expect({ lagUnderHardBound: busyLag < HARD_BOUND_MS, summary }).toMatchObject({
        lagUnderHardBound: true,
      });
      // /healthz's median: the 50 ms holds on a quiet machine (27 ms was seen here with a
      // load of 15); on a busier one it follows the server thread's queue, which this process's
      // load clients share (50–85 ms seen). A blocked thread makes it seconds.
      const healthz = percentile(busy.healthz, 50);
      const healthzBound = Math.max(HEALTHZ_MEDIAN_MS, 3 * percentile(idle.healthz, 90));
      expect({ healthzMedianUnderBound: healthz < healthzBound, healthz, healthzBound }).toMatchObject({
        healthzMedianUnderBound: true,
      });
    } finally {
      stopping = true;
      holder.kill();
      await holder.exited;
      await Promise.allSettled(loops.map((l) => l.run));
      busyLoop();
    }
    // The bulk changes did their work: the tag is on all 5,000 or on none, as the last one left it.
    const tagged = await useShard(
      "loud",
      (s) =>
        (s.statement("SELECT count(*) AS n FROM contacts WHERE tags LIKE '%noisy%'").get() as { n: number })
          .n,
    );
    expect([0, BULK]).toContain(tagged);
    // And the erased persons are gone.
    const erased = persons.slice(0, next);
    expect(erased.length).toBeGreaterThanOrEqual(1);
    for (const id of erased) expect((await aApi("GET", `/t/loud/contacts/${id}`)).status).toBe(404);
  });
});
