import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { createApp } from "../src/app/create-app.ts";
import type { ServerDeps } from "../src/app/server-deps.ts";
import { createDeps } from "../src/app/start-server.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { waitForTask } from "./support/background-task.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * The heavy operations, moved off the server's thread, through the real app over real files
 * and real worker threads, in this process so the event loop's stalls can be measured where
 * they would happen: erasing a person (with its VACUUM) and copying a workspace of 100,000
 * contacts, and a bulk change of 5,000. Each still does what it promised; meanwhile another
 * workspace's pages keep answering and the loop never stalls.
 */

const dir = tempDir();
let data: DataDir;
let deps: ServerDeps;
let server: ReturnType<typeof Bun.serve>;
let base: string;
let big: BrowserClient;
let small: BrowserClient;
let bigApi: ReturnType<typeof api>;
let smallApi: ReturnType<typeof api>;
let personId: number;
const PERSON_EMAIL = "zq.erase-me@heavy.example";
const CONTACTS = 100_000;

const useShard = <T>(slug: string, fn: (shard: Shard) => T) => data.shards.use(data.get(slug), fn);

/** What a client sees of a stream of requests, and the event loop's longest stall, while `work` runs. */
interface Watched {
  /** The longest the event loop was late for a 5 ms timer, in ms. */
  maxLag: number;
  /** The slowest of the requests, in ms. */
  slowest: number;
  requests: number;
  statuses: number[];
  /** The Retry-After of each 503. */
  retryAfter: (string | null)[];
}

/**
 * The bound on stalls. The server's own work stalls nothing here; what is left is the machine:
 * on a shared 2-core box with a load of 8–10, an idle loop serving a request every 10 ms was
 * seen late by up to ~350 ms. The old path (the same work on this thread) stalled it for the
 * whole operation: 0.7–1.8 s for these sizes, ~1 s for 5,000 bulk changes, and longer on a
 * busier machine (the work slows down with it), so it stays above the bound.
 */
const BOUND_MS = 500;
/**
 * The bound used: BOUND_MS, or more on a machine so busy that the idle server, measured in
 * the same run, was already late by a third of it.
 */
let bound = BOUND_MS;

/**
 * Sends `request` (e.g. another workspace's contacts page) every 10 ms, one at a time, and
 * watches a 5 ms timer on this thread, the server's, until `work` settles (and at least three
 * requests were answered); returns what they saw.
 */
async function watch<T>(
  work: Promise<T>,
  request: () => Promise<{ status: number; headers: Headers }>,
  atLeast = 3,
): Promise<Watched & { result: T }> {
  const seen: Watched = { maxLag: 0, slowest: 0, requests: 0, statuses: [], retryAfter: [] };
  let last = performance.now();
  const lag = setInterval(() => {
    const now = performance.now();
    seen.maxLag = Math.max(seen.maxLag, now - last - 5);
    last = now;
  }, 5);
  let inFlight: Promise<void> | undefined;
  const send = async () => {
    const started = performance.now();
    const response = await request();
    seen.slowest = Math.max(seen.slowest, performance.now() - started);
    seen.requests++;
    seen.statuses.push(response.status);
    if (response.status === 503) seen.retryAfter.push(response.headers.get("retry-after"));
  };
  const sender = setInterval(() => {
    inFlight ??= send().finally(() => {
      inFlight = undefined;
    });
  }, 10);
  try {
    const result = await work;
    while (seen.requests < atLeast) await (inFlight ?? send());
    await inFlight;
    return { ...seen, result };
  } finally {
    clearInterval(sender);
    clearInterval(lag);
  }
}

/**
 * waitForTask as the task page's own polling reads it: a 503 with Retry-After is read again
 * (htmx keeps polling). Known bug outside these operations: a signed-in page refreshes its
 * session's last_seen_at once a minute, a write, refused with 503 while a worker holds the
 * workspace's write lock (a bulk change's one transaction), though the page only reads.
 */
async function waitPatiently(location: string | null, ms = 120_000) {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      return await waitForTask(big, location, Math.max(1, deadline - performance.now()));
    } catch (error) {
      if (!/: 503$/.test((error as Error).message) || performance.now() > deadline) throw error;
      await Bun.sleep(25);
    }
  }
}

/**
 * Posts the form that starts a background task, then reads its page until it has finished.
 * Watched from before the post: work done on the server's thread before it answers counts.
 */
async function startAndWait(post: () => Promise<{ status: number; headers: Headers; text: string }>) {
  const started = await post();
  if (started.status !== 303) throw new Error(`the task did not start: ${started.status}\n${started.text}`);
  return await waitPatiently(started.headers.get("location"));
}

/** Another workspace's contacts page, as its signed-in owner loads it. */
const smallPage = async () => {
  const response = await small.get("/t/small/contacts");
  return { status: response.status, headers: response.headers };
};

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("big");
  await data.tenant("small");
  // Seeded by the real command in a process of its own, so this one's heap (where stalls are
  // measured) does not carry the garbage of making 100,000 contacts.
  const seeded = Bun.spawnSync(
    [
      process.execPath,
      "src/cli.ts",
      "seed",
      "--tenant",
      "big",
      "--contacts",
      String(CONTACTS),
      "--seed",
      "8",
      "--deals",
      "2000",
      "--interactions-per-contact",
      "2",
      "--data",
      dir.path,
    ],
    { cwd: join(import.meta.dir, ".."), stdout: "pipe", stderr: "pipe" },
  );
  expect(seeded.exitCode).toBe(0);
  personId = await useShard("big", (s) =>
    s.transaction(() => {
      const now = Date.now();
      const row = s
        .statement(
          "INSERT INTO contacts (first_name, last_name, email, created_at, updated_at) VALUES ('Zqera', 'Heavyperson', ?, ?, ?) RETURNING id",
        )
        .get(PERSON_EMAIL, now, now) as { id: number };
      s.statement(
        "INSERT INTO notes (body, subject_type, subject_id, created_at, updated_at) VALUES (?, 'contact', ?, ?, ?)",
      ).run(`Wrote to ${PERSON_EMAIL}`, row.id, now, now);
      return row.id;
    }),
  );
  deps = createDeps(
    loadConfig({ ...FAST_HASHING, CRM_DATA: dir.path, CRM_ACCESS_LOG: "false", CRM_WORKERS: "1" }),
    new Logger({ write() {}, flush() {} }),
  );
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createApp(deps).fetch });
  base = `http://127.0.0.1:${server.port}`;
  big = await signIn(base, "big", "owner@big.test");
  small = await signIn(base, "small", "owner@small.test");
  bigApi = api(base, await data.apiKey("big"));
  smallApi = api(base, await data.apiKey("small"));
  for (const name of ["Ann", "Ben", "Cat"]) {
    expect((await smallApi("POST", "/t/small/contacts", { firstName: name })).status).toBe(201);
  }
  // Warm: the first page of each workspace, and a worker thread.
  expect((await small.get("/t/small/contacts")).status).toBe(200);
  expect((await big.get("/t/big/contacts")).status).toBe(200);
  const idle = await watch(Promise.resolve(), smallPage, 100);
  bound = Math.max(BOUND_MS, 3 * idle.maxLag, 3 * idle.slowest);
});

afterAll(async () => {
  await server?.stop(true);
  await deps?.pool.close();
  deps?.shards.closeAll();
  deps?.catalog.close();
  data?.close();
  dir.remove();
});

describe("erasing a person of a 100,000-contact workspace", () => {
  it("runs in a worker: another workspace's pages keep answering and the event loop never stalls, and nothing of the person is left", async () => {
    const file = join(dir.path, data.get("big").file);
    await useShard("big", (s) => s.statement("PRAGMA wal_checkpoint(TRUNCATE)").run());
    expect(readFileSync(file).includes(PERSON_EMAIL)).toBe(true);

    await big.get(`/t/big/privacy/contacts/${personId}/erasure`);
    const seen = await watch(
      startAndWait(() => big.post(`/t/big/privacy/contacts/${personId}/erasure`, {})),
      smallPage,
    );

    expect(seen.result.status).toBe("Done.");
    expect(seen.statuses.every((s) => s === 200)).toBe(true);
    expect(seen.requests).toBeGreaterThanOrEqual(3);
    expect(seen.slowest).toBeLessThan(bound);
    expect(seen.maxLag).toBeLessThan(bound);
    // What erasure promises still holds: the file was rewritten without the person.
    for (const path of [file, `${file}-wal`]) {
      expect({ path, found: existsSync(path) && readFileSync(path).includes(PERSON_EMAIL) }).toEqual({
        path,
        found: false,
      });
    }
    expect((await bigApi("GET", `/t/big/contacts/${personId}`)).status).toBe(404);
  });
});

describe("while a worker rewrites a workspace's file", () => {
  // After the rewrite commits, a write of the server's that was waiting for the lock can get it
  // before the worker's checkpoint does. Its commit used to copy the whole rewritten file back
  // from the write-ahead log on the server's thread (an automatic checkpoint: 0.3-0.8 s for
  // 100,000 contacts); the server's connections now leave checkpoints to the pool.
  it("that workspace's pages keep answering, and its writes answer at once: done, or 503 with Retry-After", async () => {
    const ids = (await bigApi("GET", "/t/big/contacts?limit=2")).json.data.map((c: { id: number }) => c.id);
    const victim = ids[0] as number;
    await big.get(`/t/big/privacy/contacts/${victim}/erasure`);
    const started = big.post(`/t/big/privacy/contacts/${victim}/erasure`, {});
    let n = 0;
    const write = async () => {
      const response = await bigApi("PATCH", `/t/big/contacts/${ids[1]}`, { title: `Title ${n++}` });
      return { status: response.status, headers: response.headers };
    };
    const readsAndWrites = async () => {
      const page = await big.get("/t/big/contacts");
      expect(page.status).toBe(200);
      return await write();
    };
    const seen = await watch(
      startAndWait(() => started),
      readsAndWrites,
    );
    expect(seen.result.status).toBe("Done.");
    expect(seen.statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(seen.retryAfter).toEqual(seen.statuses.filter((s) => s === 503).map(() => "1"));
    expect(seen.slowest).toBeLessThan(bound);
    expect(seen.maxLag).toBeLessThan(bound);
    // The workspace is whole, and writes go through again.
    expect((await write()).status).toBe(200);
    expect(await useShard("big", (s) => s.statement("PRAGMA integrity_check").values())).toEqual([["ok"]]);
  });
});

describe("downloading a 100,000-contact workspace", () => {
  let liveContacts = 0;
  for (const [path, check] of [
    [
      "/t/big/privacy/workspace.sqlite",
      (bytes: Uint8Array) => {
        const copy = join(dir.path, "copy.sqlite");
        writeFileSync(copy, bytes);
        const db = new Database(copy, { readonly: true });
        try {
          expect(db.query("SELECT count(*) AS n FROM contacts").get()).toEqual({ n: liveContacts });
          expect(db.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
        } finally {
          db.close();
        }
      },
    ],
    [
      "/t/big/privacy/workspace.zip",
      (bytes: Uint8Array) => {
        const files = unzipSync(bytes, { filter: (f) => f.name === "contacts.csv" });
        const lines = new TextDecoder().decode(files["contacts.csv"]).split("\r\n").length;
        // The header, a line per contact, and the empty string after the last CRLF.
        expect(lines).toBe(liveContacts + 2);
      },
    ],
  ] as const) {
    it(`${path} is prepared in a worker while another workspace's pages keep answering and the loop never stalls`, async () => {
      liveContacts = await useShard(
        "big",
        (s) => (s.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n,
      );
      expect(liveContacts).toBeGreaterThan(CONTACTS - 10);
      await big.get("/t/big/privacy");
      const seen = await watch(
        startAndWait(() => big.post(path, {})),
        smallPage,
      );
      expect(seen.result.status).toBe("Done.");
      expect(seen.statuses.every((s) => s === 200)).toBe(true);
      expect(seen.slowest).toBeLessThan(bound);
      expect(seen.maxLag).toBeLessThan(bound);
      const link = seen.result.links[0] as string;
      const response = await fetch(base + link, {
        headers: { cookie: `crm_session=${big.cookie("crm_session")}` },
      });
      expect(response.status).toBe(200);
      check(new Uint8Array(await response.arrayBuffer()));
      expect(readdirSync(join(dir.path, "downloads", data.get("big").id))).toEqual([]);
    });
  }
});

describe("a bulk change of 5,000 contacts from the list page", () => {
  /** Everything a bulk change could touch in the big workspace. */
  const snapshot = () =>
    useShard("big", (s) => ({
      contacts: s.statement("SELECT id, owner_id, tags, updated_at FROM contacts ORDER BY id").values(),
      tags: s.statement("SELECT contact_id, tag_id FROM contact_tags ORDER BY 1, 2").values(),
      log: s.statement("SELECT max(id), count(*) FROM interactions").values(),
    }));
  const submitAll = (client: BrowserClient, filter: string, fields: Record<string, string>) =>
    client.post("/t/big/contacts/bulk", { scope: "all", filter, ownerId: "", ...fields });

  it("runs in the background, all in one transaction with an entry per record, while another workspace answers", async () => {
    // 5,000 contacts whose first name starts with "A…" are the target: a filter of the list's own.
    const target = await useShard("big", (s) =>
      s
        .statement("SELECT id FROM contacts ORDER BY id LIMIT 5000")
        .values()
        .map(([id]) => Number(id)),
    );
    expect(target).toHaveLength(5_000);
    await useShard("big", (s) =>
      s.transaction(() => {
        const backdate = s.statement("UPDATE contacts SET created_at = 86400000 WHERE id = ?");
        for (const id of target) backdate.run(id);
      }),
    );
    const since = await useShard(
      "big",
      (s) => (s.statement("SELECT max(id) AS id FROM interactions").get() as { id: number }).id,
    );
    await big.get("/t/big/contacts");
    const seen = await watch(
      startAndWait(() => submitAll(big, "createdTo=1970-01-02", { action: "addTag", tag: "heavy-bulk" })),
      smallPage,
    );
    expect(seen.result.status).toBe("Done.");
    expect(seen.result.text).toContain("5,000 contacts changed, of 5,000 chosen.");
    expect(seen.result.links).toEqual(["/t/big/contacts?createdTo=1970-01-02&changed=5000"]);
    expect(seen.statuses.every((s) => s === 200)).toBe(true);
    expect(seen.slowest).toBeLessThan(bound);
    expect(seen.maxLag).toBeLessThan(bound);
    const logged = await useShard(
      "big",
      (s) =>
        s
          .statement(
            "SELECT subject_id AS id, kind, payload FROM interactions WHERE id > ? ORDER BY subject_id",
          )
          .all(since) as { id: number; kind: string; payload: string }[],
    );
    expect(logged.map((l) => l.id)).toEqual([...target].sort((a, b) => a - b));
    expect(new Set(logged.map((l) => l.kind))).toEqual(new Set(["contact.updated"]));
    expect(JSON.parse(logged[0]?.payload ?? "{}").changes.tags[1]).toContain("heavy-bulk");
    expect((await bigApi("GET", "/t/big/contacts?tag=heavy-bulk&limit=1")).json.data).toHaveLength(1);
  });

  it("that one record refuses fails as a whole in the background: the page says why, and nothing changed", async () => {
    const one = await useShard(
      "big",
      (s) =>
        (
          s
            .statement("SELECT id FROM contacts WHERE created_at = 86400000 ORDER BY id DESC LIMIT 1")
            .get() as { id: number }
        ).id,
    );
    const full = Array.from({ length: 19 }, (_, i) => `t${i}`);
    expect((await bigApi("PATCH", `/t/big/contacts/${one}`, { tags: [...full, "heavy-bulk"] })).status).toBe(
      200,
    );
    const before = await snapshot();
    await big.get("/t/big/contacts");
    const started = await submitAll(big, "createdTo=1970-01-02", { action: "addTag", tag: "one-more" });
    const task = await waitPatiently(started.headers.get("location"));
    expect(task.status).toBe("Failed.");
    expect(task.text).toContain("tag: a contact has at most 20 tags");
    expect(await snapshot()).toEqual(before);
  });

  it("cancelled before it starts writing, it leaves every record as it was", async () => {
    // The only worker thread is kept busy by a change to the small workspace, whose file this
    // test holds locked; the big change waits in the queue, is cancelled there, and when the
    // thread is free it stops before writing anything.
    const smallIds = (await smallApi("GET", "/t/small/contacts")).json.data.map((c: { id: number }) =>
      String(c.id),
    );
    const lock = new Database(join(dir.path, data.get("small").file));
    lock.run("PRAGMA busy_timeout = 5000");
    lock.run("BEGIN IMMEDIATE");
    let released = false;
    try {
      await small.get("/t/small/contacts");
      const blocker = small.request("POST", "/t/small/contacts/bulk", {
        body: new URLSearchParams([
          ["_csrf", small.csrfToken],
          ["scope", "selected"],
          ...smallIds.map((id: string) => ["ids", id] as [string, string]),
          ["action", "addTag"],
          ["tag", "blocked"],
          ["ownerId", ""],
        ]),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      const before = await snapshot();
      await big.get("/t/big/contacts");
      const started = await submitAll(big, "createdTo=1970-01-02", {
        action: "removeTag",
        tag: "heavy-bulk",
      });
      expect(started.status).toBe(303);
      const progress = started.headers.get("location") as string;
      const waiting = await big.get(progress);
      expect(waiting.text).toContain("Waiting for a free worker…");
      const cancelled = await big.post(`${progress}/cancel`, {});
      expect(cancelled.status).toBe(303);
      lock.run("ROLLBACK");
      released = true;
      expect((await blocker).status).toBe(303);
      const task = await waitPatiently(progress);
      expect(task.status).toBe("Cancelled.");
      expect(task.text).toContain("cancelled: nothing was changed");
      expect(await snapshot()).toEqual(before);
      expect((await smallApi("GET", "/t/small/contacts?tag=blocked")).json.data).toHaveLength(3);
    } finally {
      if (!released) lock.run("ROLLBACK");
      lock.close();
    }
  });
});
