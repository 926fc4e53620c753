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
import { api, DataDir, signIn } from "./support/workspace.ts";

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
  "src/imports/seen-keys.ts": {
    openings: 1,
    reason:
      "an import's private temporary database (new Database(\"\"): SQLite's anonymous file, deleted when closed) of the match keys seen so far in the file being read: scratch space, no acknowledged write lives there",
  },
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
    // The scan sees the one real writable opening (beside openReadOnlyDatabase's), so an empty
    // result can never pass for a clean one.
    expect(openings.filter((o) => o.file === OPEN_DATABASE && !o.readOnly).length).toBe(1);
    expect(openings.filter((o) => o.file === OPEN_DATABASE && o.readOnly).length).toBe(1);
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

/** Writes acknowledged in each phase of the power-loss test. */
const SYNCED_WRITES = 12;

/** Every syscall that syncs a file, writes the WAL, or sends bytes to a socket, with 4 KiB of each buffer. */
const STRACE_OPTIONS = [
  "-f",
  "-qq",
  "--seccomp-bpf",
  "-y",
  "-s",
  "4200",
  "-e",
  "trace=fsync,fdatasync,pwrite64,write,writev,sendto,sendmsg",
];

/** The one child of `pid` (strace's traced server). */
function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
  if (children.length !== 1) throw new Error(`expected one child of ${pid}, found ${children}`);
  return Number(children[0]);
}

interface SyncOrder {
  /** Trace line of the first WAL write carrying the marker (its commit's frames). */
  walWrite?: number;
  /** Trace line where the first sync of that WAL after it returned. */
  walSynced?: number;
  /** Trace line of the first socket send carrying the marker (the response). */
  sent?: number;
  /** Whether that send is a whole `201 Created` response. */
  sentAs201: boolean;
}

/**
 * Where, in an strace log of one server (-f -y), each marker was written to a WAL, that WAL
 * synced, and the marker sent to a socket. strace prints a call when it returns, or its start
 * with `<unfinished ...>` and its return with `<... resumed>` when another thread ran between,
 * so line order is the order the calls started and returned in.
 */
function syncOrder(trace: string, markers: string[]): Map<string, SyncOrder> {
  const lines = trace.split("\n");
  const pendingSync = new Map<string, string>();
  const walWrites: { line: number; path: string; text: string }[] = [];
  const syncs: { line: number; path: string }[] = [];
  const sends: { line: number; text: string }[] = [];
  for (const [i, text] of lines.entries()) {
    const call = text.match(/^(\d+) +(\w+)\((\d+)<([^>]*)>(.*)$/);
    const resumed = text.match(/^(\d+) +<\.\.\. (fsync|fdatasync) resumed>\) += 0/);
    if (resumed) {
      const path = pendingSync.get(resumed[1] as string);
      if (path) syncs.push({ line: i, path });
      pendingSync.delete(resumed[1] as string);
    }
    if (!call) continue;
    const [, pid = "", name = "", , path = "", rest = ""] = call;
    if (name === "fsync" || name === "fdatasync") {
      if (rest.endsWith("<unfinished ...>")) pendingSync.set(pid, path);
      else if (/\) += 0$/.test(rest)) syncs.push({ line: i, path });
    } else if (name === "pwrite64" && path.endsWith("-wal")) {
      walWrites.push({ line: i, path, text: rest });
    } else if (/^(write|writev|sendto|sendmsg)$/.test(name) && /^socket:\[/.test(path)) {
      sends.push({ line: i, text: rest });
    }
  }
  return new Map(
    markers.map((marker) => {
      const write = walWrites.find((w) => w.text.includes(marker));
      const synced = write && syncs.find((s) => s.line > write.line && s.path === write.path);
      const send = sends.find((s) => s.text.includes(marker));
      return [
        marker,
        {
          walWrite: write?.line,
          walSynced: synced?.line,
          sent: send?.line,
          sentAs201: send?.text.includes("HTTP/1.1 201 Created\\r\\n") ?? false,
        },
      ];
    }),
  );
}

/**
 * SIGKILL leaves the page cache in place, so only a sync proves a commit would survive a power
 * cut. The server runs as strace's child (no ptrace rights needed), which logs its file syncs,
 * its WAL writes and what it sends: every 201 must leave after the sync of the WAL frames that
 * hold its row. synchronous=NORMAL or OFF sync no frame at commit, and an answer sent before the
 * commit comes before its frames. An erasure (which rewrites the file with VACUUM), a workspace
 * download (VACUUM INTO) and a bulk change each run on the same connection the writes after them
 * use, so any of them leaving a weaker setting behind shows in the writes that follow.
 */
describe("power loss", () => {
  it(`sends each 201 only after its commit's WAL frames are synced, for ${SYNCED_WRITES} writes at first and after an erasure, a workspace download and a bulk change`, async () => {
    const strace = Bun.which("strace");
    if (!strace) throw new Error("strace is not installed: sudo apt-get install -y strace (see README)");
    const slug = "durable-sync";
    const data = new DataDir(dir.path);
    await data.tenant(slug);
    const key = await data.apiKey(slug);
    data.close();
    const traceFile = join(dir.path, "sync.trace");
    const server = await startServer({
      dataDir: dir.path,
      wrap: [strace, ...STRACE_OPTIONS, "-o", traceFile, "--"],
    });
    const call = api(server.url, key);
    const phases = ["at first", "after an erasure", "after a workspace download", "after a bulk change"];
    /** Each acknowledged write's marker (its email, fixed width so none contains another), by phase. */
    const written: { phase: string; marker: string }[] = [];
    const writeContacts = async (phase: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < SYNCED_WRITES; i++) {
        const marker = `synced-${phase}-${String(i).padStart(3, "0")}@fsync.test`;
        const response = await call("POST", `/t/${slug}/contacts`, {
          firstName: "Synced",
          lastName: "Person",
          email: marker,
        });
        statuses.push(response.status);
        expect(response.json?.email).toBe(marker);
        written.push({ phase: phases[phase] as string, marker });
      }
      expect(statuses).toEqual(Array(SYNCED_WRITES).fill(201));
    };
    try {
      await writeContacts(0);

      const erased = await call("POST", `/t/${slug}/contacts`, { firstName: "Erased", lastName: "Person" });
      expect(erased.status).toBe(201);
      const owner = await signIn(server.url, slug, `owner@${slug}.test`);
      await owner.get(`/t/${slug}/privacy/contacts/${erased.json.id}/erasure`);
      expect((await owner.post(`/t/${slug}/privacy/contacts/${erased.json.id}/erasure`, {})).status).toBe(
        303,
      );
      // The erasure rewrote the file: a failed VACUUM would leave the setting under test untouched.
      const erasure = await server.waitForLine(
        (l) => l.msg === "person erased" && l.contactId === erased.json.id,
      );
      expect({ compacted: erasure.compacted, walTruncated: erasure.walTruncated }).toEqual({
        compacted: true,
        walTruncated: true,
      });
      await writeContacts(1);

      const download = await fetch(`${server.url}/t/${slug}/privacy/workspace.sqlite`, {
        headers: { cookie: `crm_session=${owner.cookie("crm_session")}` },
      });
      expect(download.status).toBe(200);
      expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(4096);
      await writeContacts(2);

      const firstIds = (await call("GET", `/t/${slug}/contacts?limit=5`)).json.data.map(
        (c: { id: number }) => c.id,
      );
      expect(firstIds.length).toBe(5);
      const bulk = await call("POST", `/t/${slug}/contacts/bulk`, {
        ids: firstIds,
        action: "addTag",
        tag: "synced",
      });
      expect({ status: bulk.status, body: bulk.json }).toEqual({
        status: 200,
        body: { matched: 5, changed: 5 },
      });
      await writeContacts(3);
    } finally {
      process.kill(childOf(server.pid), "SIGTERM");
      await server.proc.exited;
    }

    expect(written.length).toBe(phases.length * SYNCED_WRITES);
    const order = syncOrder(
      readFileSync(traceFile, "utf8"),
      written.map((w) => w.marker),
    );
    const unsynced = written
      .map(({ phase, marker }) => ({ phase, marker, ...order.get(marker) }))
      .filter(
        (w) =>
          w.walWrite === undefined ||
          w.walSynced === undefined ||
          w.sent === undefined ||
          !w.sentAs201 ||
          !(w.walWrite < w.walSynced && w.walSynced < w.sent),
      );
    const perPhase = phases.map((phase) => ({
      phase,
      writes: SYNCED_WRITES,
      unsynced: unsynced.filter((w) => w.phase === phase).length,
    }));
    console.log(`power loss: ${JSON.stringify(perPhase)}`);
    expect(unsynced).toEqual([]);
  }, 180_000);
});
