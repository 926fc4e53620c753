import type { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { Catalog } from "../src/tenancy/catalog.ts";
import { openDatabase } from "../src/tenancy/open-database.ts";
import { ShardManager } from "../src/tenancy/shard-manager.ts";
import { oldShard } from "./support/old-shard.ts";
import { startServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dir = tempDir();
afterAll(() => dir.remove());

/**
 * What every connection that writes one of our files must run with (invariant 8): WAL, a sync
 * of the WAL at every commit, foreign keys enforced, and a busy timeout so another process waits.
 */
const DURABLE = { journal_mode: "wal", synchronous: 2, foreign_keys: 1, busy_timeout: 5000 };

type ReadPragma = (name: string) => unknown;
const settings = (read: ReadPragma) =>
  Object.fromEntries(Object.keys(DURABLE).map((name) => [name, read(name)]));
const onConnection =
  (sqlite: Database): ReadPragma =>
  (name) =>
    sqlite.query(`PRAGMA ${name}`).values()[0]?.[0];

describe("durability settings of every file the product opens", () => {
  it("the catalog runs WAL, synchronous=FULL, foreign keys and a busy timeout, when created and when reopened", () => {
    const path = join(dir.path, "catalog-check");
    for (const round of ["created", "reopened"]) {
      const catalog = Catalog.open(path);
      try {
        const read: ReadPragma = (name) => catalog.db.get<unknown[]>(sql.raw(`PRAGMA ${name}`))?.[0];
        expect({ round, ...settings(read) }).toEqual({ round, ...DURABLE });
      } finally {
        catalog.close();
      }
    }
  });

  it("a tenant's shard, opened by the shard manager, runs with the same settings", async () => {
    const data = new DataDir(dir.path);
    try {
      const tenant = await data.tenant("durable-new");
      const manager = new ShardManager({ dataDir: dir.path });
      const found = await manager.use(tenant, (shard) => settings(onConnection(shard.sqlite)));
      manager.closeAll();
      expect(found).toEqual(DURABLE);
    } finally {
      data.close();
    }
  });

  it("a shard migrated on open from an older schema keeps the settings, foreign keys back on", () => {
    const catalog = Catalog.open(dir.path);
    try {
      const old = oldShard(catalog, "durable-old", 3);
      const manager = new ShardManager({ dataDir: dir.path });
      const shard = manager.acquire(old);
      try {
        const read = onConnection(shard.sqlite);
        expect(read("user_version")).toBeGreaterThan(old.previousCount);
        expect(settings(read)).toEqual(DURABLE);
      } finally {
        manager.release(shard);
        manager.closeAll();
      }
    } finally {
      catalog.close();
    }
  });

  it("openDatabase (the one way src/ opens a file for writing) applies them to a new file and an existing one", () => {
    const path = join(dir.path, "plain.sqlite");
    for (const create of [true, false]) {
      const sqlite = openDatabase(path, { create });
      try {
        expect({ create, ...settings(onConnection(sqlite)) }).toEqual({ create, ...DURABLE });
      } finally {
        sqlite.close();
      }
    }
  });
});

/**
 * Openings of a SQLite file in src/ that do not go through openDatabase and are not read-only,
 * each with why the durability settings do not apply. The count is exact, so a second opening in
 * the same file is not let through, and a stale entry fails too.
 */
const ALLOWED_OPENINGS: Record<string, { openings: number; reason: string }> = {
  "src/privacy/workspace-snapshot.ts": {
    openings: 1,
    reason:
      "strips secrets from the private VACUUM INTO copy it just wrote, before the copy is streamed and deleted: no acknowledged write lives there, and WAL would leave -wal/-shm files beside it",
  },
};
const OPEN_DATABASE = "src/tenancy/open-database.ts";
const OTHER_DRIVERS = /from\s+["'](node:sqlite|better-sqlite3|sqlite3|@libsql\/[\w-]+)["']/;

/** The local names under which a file imports bun:sqlite's Database as a value (`Database`, an alias, `ns.Database`). */
function databaseNames(source: string): string[] {
  const names: string[] = [];
  for (const [, clause = ""] of source.matchAll(/import\s+([^;]*?)\s+from\s+["']bun:sqlite["']/g)) {
    if (/^type\s/.test(clause)) continue;
    const namespace = clause.match(/\*\s*as\s+([\w$]+)/)?.[1];
    if (namespace) names.push(`${namespace}.Database`);
    const byDefault = clause.match(/^([\w$]+)\s*(,|$)/)?.[1];
    if (byDefault) names.push(byDefault);
    for (const part of clause.match(/\{([^}]*)\}/)?.[1]?.split(",") ?? []) {
      const named = part.trim().match(/^Database(?:\s+as\s+([\w$]+))?$/);
      if (named) names.push(named[1] ?? "Database");
    }
  }
  return names;
}

/** The argument text of the call whose opening parenthesis is at `open`. */
function callArguments(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(") depth++;
    if (source[i] === ")" && --depth === 0) return source.slice(open + 1, i);
  }
  throw new Error(`unbalanced call at ${open}`);
}

interface Opening {
  file: string;
  line: number;
  call: string;
  readOnly: boolean;
}

function openingsIn(file: string, source: string): Opening[] {
  const openings: Opening[] = [];
  for (const name of databaseNames(source)) {
    const escaped = name.replace(/[.$]/g, "\\$&");
    for (const match of source.matchAll(
      new RegExp(`(new\\s+${escaped}|${escaped}\\.(open|deserialize))\\s*\\(`, "g"),
    )) {
      const args = callArguments(source, (match.index ?? 0) + match[0].length - 1);
      openings.push({
        file,
        line: source.slice(0, match.index).split("\n").length,
        call: `${match[1]}(${args.replace(/\s+/g, " ")})`,
        readOnly: /readonly:\s*true/.test(args) && !/readwrite:\s*true|create:\s*true/.test(args),
      });
    }
  }
  return openings;
}

describe("no file is opened for writing around openDatabase", () => {
  it("every SQLite opening in src/ is openDatabase's, read-only, or allow-listed with a reason", () => {
    const sources = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })
      .filter((path) => /\.tsx?$/.test(path) && !/\.test\.tsx?$/.test(path))
      .map((path) => {
        const file = relative(ROOT, join(ROOT, "src", path));
        return { file, source: readFileSync(join(ROOT, file), "utf8") };
      });
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.filter((s) => OTHER_DRIVERS.test(s.source)).map((s) => s.file)).toEqual([]);

    const openings = sources.flatMap((s) => openingsIn(s.file, s.source));
    // The scan sees the one real opening, so an empty result can never pass for a clean one.
    expect(openings.filter((o) => o.file === OPEN_DATABASE).length).toBe(1);
    const writable = openings.filter((o) => o.file !== OPEN_DATABASE && !o.readOnly);
    const problems = [
      ...writable
        .filter((o) => !ALLOWED_OPENINGS[o.file])
        .map((o) => `${o.file}:${o.line} opens a file for writing without openDatabase: ${o.call}`),
      ...Object.entries(ALLOWED_OPENINGS)
        .map(([file, { openings: n }]) => [file, n, writable.filter((o) => o.file === file).length] as const)
        .filter(([, n, found]) => n !== found)
        .map(([file, n, found]) => `${file}: allow-listed for ${n} opening(s), found ${found}`),
    ];
    expect(problems).toEqual([]);
  });
});

/** Polls `condition` every 10 ms until it holds, or fails after `ms` saying `what`. */
async function waitFor(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await Bun.sleep(10);
  }
}

/** The tracer of each of the process's threads (0 when untraced). */
function tracersOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((task) => {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, "utf8");
      return Number(status.match(/^TracerPid:\s*(\d+)/m)?.[1] ?? 0);
    } catch {
      return -1; // the thread ended while we looked
    }
  });
}

const FSYNC_WRITES = 40;

/**
 * SIGKILL leaves the page cache in place, so only a sync proves a commit would survive a power
 * cut. strace counts the server's fsync/fdatasync calls on the tenant's WAL while acknowledged
 * writes go through the API: synchronous=FULL syncs the WAL at every commit, NORMAL only at a
 * checkpoint (none in 40 small writes), OFF never.
 */
describe("power loss", () => {
  it(`syncs the tenant's WAL to disk before acknowledging each of ${FSYNC_WRITES} API writes`, async () => {
    const strace = Bun.which("strace");
    if (!strace)
      throw new Error("strace is not installed: .ci/run installs it (apt-get install strace) for this test");
    const data = new DataDir(dir.path);
    const tenant = await data.tenant("durable-fsync");
    const key = await data.apiKey("durable-fsync");
    data.close();
    const wal = `${join(dir.path, tenant.file)}-wal`;
    const traceFile = join(dir.path, "fsync.trace");

    const server = await startServer({ dataDir: dir.path });
    const tracer = Bun.spawn(
      [strace, "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", traceFile, "-p", String(server.pid)],
      { stdout: "ignore", stderr: "pipe" },
    );
    const tracerErrors = new Response(tracer.stderr).text();
    let tracerExited = false;
    void tracer.exited.then(() => {
      tracerExited = true;
    });
    try {
      await waitFor(
        () => tracerExited || tracersOf(server.pid).every((pid) => pid === tracer.pid),
        30_000,
        () => `strace to attach to every thread of the server (tracers: ${tracersOf(server.pid)})`,
      );
      if (tracerExited)
        throw new Error(`strace could not attach to the server (ptrace not allowed?): ${await tracerErrors}`);

      const statuses: number[] = [];
      for (let i = 0; i < FSYNC_WRITES; i++) {
        const response = await fetch(`${server.url}/api/v1/t/durable-fsync/contacts`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ firstName: "Synced", lastName: String(i), email: `s${i}@fsync.test` }),
        });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      expect(statuses).toEqual(Array(FSYNC_WRITES).fill(201));
    } finally {
      tracer.kill("SIGINT");
      await tracer.exited;
      await server.stop();
    }
    const calls = readFileSync(traceFile, "utf8")
      .split("\n")
      .filter((line) => /\b(fsync|fdatasync)\(\d+</.test(line));
    const onWal = calls.filter((line) => line.includes(`<${wal}>`)).length;
    console.log(
      `power loss: ${onWal} syncs of the tenant's WAL for ${FSYNC_WRITES} writes (${calls.length} in all)`,
    );
    expect(onWal).toBeGreaterThanOrEqual(FSYNC_WRITES);
  }, 120_000);
});
