import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog } from "../src/tenancy/catalog.ts";
import { loadMigrations, TENANT_MIGRATIONS } from "../src/tenancy/migrations.ts";
import { openDatabase } from "../src/tenancy/open-database.ts";
import { oldShard } from "./support/old-shard.ts";
import { tempDir } from "./support/temp-dir.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dir = tempDir();
afterAll(() => dir.remove());

/** Polls `condition` every 10 ms until it holds, or fails after `ms` saying `what`. */
async function waitFor(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await Bun.sleep(10);
  }
}

/**
 * True while `pid` has the file at `path` open and its main thread sleeps: SQLite's busy handler
 * sleeping between attempts at the write lock, the only place a migrating process waits.
 */
function waitingForLock(pid: number, path: string): boolean {
  try {
    const hasFile = readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
    return hasFile && readFileSync(`/proc/${pid}/wchan`, "utf8").includes("nanosleep");
  } catch {
    return false; // the process is gone
  }
}

const userVersion = (sqlite: Database) =>
  (sqlite.query("PRAGMA user_version").get() as { user_version: number }).user_version;

describe("two processes migrating the same file", () => {
  it("two `crm migrate` runs that reach an older shard together both succeed, and each migration is applied once", async () => {
    const catalog = Catalog.open(dir.path);
    const old = oldShard(catalog, "race");
    catalog.close();
    const path = join(dir.path, old.file);
    const migrations = loadMigrations(TENANT_MIGRATIONS);
    expect(old.previousCount).toBeLessThan(migrations.length);

    // Holding the write lock stops each process at the door, after it has read the old version.
    const lock = openDatabase(path, { create: false });
    lock.run("BEGIN IMMEDIATE");
    const children = [0, 1].map(() => {
      const proc = Bun.spawn([process.execPath, CLI, "migrate", "--data", dir.path], {
        cwd: ROOT,
        stdout: "pipe",
        stderr: "pipe",
      });
      const child = {
        proc,
        exited: false,
        output: Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]),
      };
      void proc.exited.then(() => {
        child.exited = true;
      });
      return child;
    });
    try {
      // Each is frozen once it waits, so it cannot run out its busy timeout while the other starts.
      for (const child of children) {
        await waitFor(
          () => child.exited || waitingForLock(child.proc.pid, path),
          120_000,
          () => `crm migrate (pid ${child.proc.pid}) to wait for the shard's write lock`,
        );
        expect({ pid: child.proc.pid, exited: child.exited }).toEqual({ pid: child.proc.pid, exited: false });
        child.proc.kill("SIGSTOP");
      }
      expect(userVersion(lock)).toBe(old.previousCount);
    } finally {
      lock.run("ROLLBACK");
      lock.close();
      for (const child of children) child.proc.kill("SIGCONT");
    }

    const results = await Promise.all(
      children.map(async ({ proc, output }) => {
        const [stdout, stderr] = await output;
        return { code: await proc.exited, ok: /^ok\s+race$/m.test(stdout), stderr };
      }),
    );
    expect(results).toEqual([
      { code: 0, ok: true, stderr: "" },
      { code: 0, ok: true, stderr: "" },
    ]);

    const sqlite = new Database(path, { readonly: true });
    try {
      expect(userVersion(sqlite)).toBe(migrations.length);
      const applied = sqlite.query("SELECT hash FROM __drizzle_migrations ORDER BY id").all() as {
        hash: string;
      }[];
      expect(applied.map((r) => r.hash)).toEqual(migrations.map((m) => m.hash));
      expect(sqlite.query("SELECT count(*) AS n FROM contacts").get()).toEqual({ n: 100 });
      expect(sqlite.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    } finally {
      sqlite.close();
    }
  }, 300_000);
});
