import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { ServerDeps } from "../src/app/server-deps.ts";
import { createDeps } from "../src/app/start-server.ts";
import { loadConfig } from "../src/core/config.ts";
import { Logger } from "../src/core/logger.ts";
import type { Tenant } from "../src/tenancy/catalog-schema.ts";
import type { CheckpointResult } from "../src/tenancy/checkpoint.worker.ts";
import type { Shard } from "../src/tenancy/shard.ts";
import { ShardManager } from "../src/tenancy/shard-manager.ts";
import { WAL_CHECKPOINT_BYTES } from "../src/tenancy/wal-checkpoints.ts";
import { FAST_HASHING } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * The server's own connections never copy a workspace's write-ahead log back into its file (an
 * automatic checkpoint, 0.3–0.8 s on the server's thread after a worker's big write): the
 * worker pool does, asked by the shard manager when a workspace's -wal has grown. Real files,
 * the real pool and its real threads.
 */

const dir = tempDir();
let data: DataDir;
let deps: ServerDeps;
let tenant: Tenant;
let file: string;
/** One write of the test: a quarter of what makes the server ask for a checkpoint (64 pages). */
const CHUNK = WAL_CHECKPOINT_BYTES / 4;

const walSize = () => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;

/** Waits for `ready()` with a deadline (no fixed sleeps). */
async function until(ready: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A write of the server's: one transaction on its thread, through its shard manager. */
const serverWrite = (bytes = CHUNK) =>
  deps.shards.use(tenant, (shard) =>
    shard.transaction(() => shard.statement("INSERT INTO filler (b) VALUES (randomblob(?))").run(bytes)),
  );

const runCheckpoint = () =>
  deps.pool.run<CheckpointResult>("tenancy.checkpoint", {
    tenantId: tenant.id,
    slug: tenant.slug,
    file: tenant.file,
    params: {},
  });

beforeAll(async () => {
  data = new DataDir(dir.path);
  tenant = await data.tenant("wal");
  file = join(dir.path, tenant.file);
  // Somewhere to write pages that no page of the product reads.
  await data.shards.use(tenant, (s) => s.sqlite.run("CREATE TABLE filler (b BLOB)"));
  data.shards.closeAll();
  deps = createDeps(
    loadConfig({ ...FAST_HASHING, CRM_DATA: dir.path, CRM_ACCESS_LOG: "false", CRM_WORKERS: "1" }),
    new Logger({ write() {}, flush() {} }),
  );
});

afterAll(async () => {
  await deps?.pool.close();
  deps?.shards.closeAll();
  deps?.catalog.close();
  data?.close();
  dir.remove();
});

const autocheckpoint = (shard: Shard) => shard.sqlite.query("PRAGMA wal_autocheckpoint").values()[0]?.[0];

describe("checkpoints of a workspace's file", () => {
  it("are never made by the server's connections; the command line's keep SQLite's automatic ones", async () => {
    expect(await deps.shards.use(tenant, autocheckpoint)).toBe(0);
    expect(await data.shards.use(tenant, autocheckpoint)).toBe(1000);
    data.shards.closeAll();
  });

  it("run in the pool: the log is copied back and emptied, and with a reader in the way it gives up at once rather than wait", async () => {
    for (let i = 0; i < 3; i++) await serverWrite();
    expect(walSize()).toBeGreaterThan(3 * CHUNK);
    // The server asked for none: a request's release looks at the -wal at most once a second.
    expect(deps.shards.checkpointsAsked).toBe(0);
    const done = await runCheckpoint();
    expect(done.logFrames).toBeGreaterThan((3 * CHUNK) / 4096);
    expect(done).toEqual({ logFrames: done.logFrames, checkpointedFrames: done.logFrames, truncated: true });
    expect(walSize()).toBe(0);

    await serverWrite();
    const reader = new Database(file, { readonly: true });
    try {
      reader.run("BEGIN");
      reader.query("SELECT count(*) FROM filler").values();
      const started = performance.now();
      const blocked = await runCheckpoint();
      // Everything up to the reader's view was copied; the log stays until the reader is done.
      expect(blocked).toEqual({
        logFrames: blocked.logFrames,
        checkpointedFrames: blocked.logFrames,
        truncated: false,
      });
      expect(blocked.logFrames).toBeGreaterThan(0);
      // Far below the worker's 10 s lock wait: it did not wait for the reader.
      expect(performance.now() - started).toBeLessThan(5000);
      // Meanwhile the server writes on.
      await serverWrite(1000);
    } finally {
      reader.run("COMMIT");
      reader.close();
    }
  });

  it("after another connection's big write (a worker's, another process's), the server's next commit copies nothing back; the pool does", async () => {
    // The server has the file open (else closing the other connection would checkpoint).
    await deps.shards.use(tenant, () => {});
    const before = statSync(file).size;
    const other = new Database(file);
    try {
      other.run("PRAGMA busy_timeout = 5000");
      other.run("PRAGMA wal_autocheckpoint = 0");
      // Past SQLite's automatic threshold (1000 pages): 8 MiB, left in the log.
      for (let i = 0; i < 8; i++)
        other.query("INSERT INTO filler (b) VALUES (randomblob(?))").run(1024 * 1024);
    } finally {
      other.close(false);
    }
    expect(walSize()).toBeGreaterThan(8 * 1024 * 1024);
    expect(statSync(file).size).toBe(before);
    // The server's commit, and the file's size the moment it returned (before anything else ran).
    const after = await deps.shards.use(tenant, (shard) => {
      shard.transaction(() => shard.statement("INSERT INTO filler (b) VALUES (x'01')").run());
      return statSync(file).size;
    });
    expect(after).toBe(before);
    // The pool copies it back, asked as requests let go of the workspace.
    await until(() => {
      void deps.shards.use(tenant, () => {});
      return statSync(file).size > before + 8 * 1024 * 1024 && walSize() <= WAL_CHECKPOINT_BYTES;
    }, "the pool's checkpoint");
  });

  it("keep the -wal bounded under the server's writes alone: the pool checkpoints it when it grows", async () => {
    const asked = deps.shards.checkpointsAsked;
    const bound = 2 * WAL_CHECKPOINT_BYTES;
    const writes = 32;
    let largest = 0;
    for (let i = 0; i < writes; i++) {
      await serverWrite();
      largest = Math.max(largest, walSize());
      // As a stream of requests would: each lets go of the shard, which is when its -wal is looked at.
      await until(
        () => {
          void deps.shards.use(tenant, () => {});
          return walSize() <= bound;
        },
        `the -wal back under ${bound} bytes after write ${i + 1}`,
      );
    }
    // Written: three times the bound. Kept: under it plus one write.
    expect(writes * CHUNK).toBeGreaterThan(2.5 * bound);
    expect(largest).toBeLessThanOrEqual(bound + CHUNK + 64 * 1024);
    expect(deps.shards.checkpointsAsked - asked).toBeGreaterThanOrEqual(3);
    expect(await deps.shards.use(tenant, (s) => s.statement("PRAGMA integrity_check").values())).toEqual([
      ["ok"],
    ]);
  });
});

describe("the shard manager's checkpoint hook", () => {
  it("is asked once at a time per workspace, at most every walCheckMs, and again after a refusal", async () => {
    let clock = 1_000_000;
    const asked: { tenant: string; settle: (ok: boolean) => void }[] = [];
    const manager = new ShardManager({
      dataDir: dir.path,
      now: () => clock,
      walCheckpointBytes: 1,
      walCheckMs: 100,
      checkpoint: (t) =>
        new Promise((resolve, reject) => {
          asked.push({
            tenant: `${t.slug} ${t.file}`,
            settle: (ok) => (ok ? resolve(undefined) : reject(new Error("busy"))),
          });
        }),
    });
    try {
      const write = () =>
        manager.use(tenant, (s) =>
          s.transaction(() => s.statement("INSERT INTO filler (b) VALUES (x'00')").run()),
        );
      await write();
      expect(asked.map((a) => a.tenant)).toEqual([`wal ${tenant.file}`]);
      // Still running: never a second one for the workspace.
      clock += 200;
      await write();
      expect(asked.length).toBe(1);
      // Refused (the pool busy): asked again, but not before walCheckMs has passed since.
      asked[0]?.settle(false);
      await until(() => manager.checkpointsPending === 0, "settled");
      clock += 99;
      await write();
      expect(asked.length).toBe(1);
      clock += 1;
      await write();
      expect(asked.length).toBe(2);
      asked[1]?.settle(true);
      expect(manager.checkpointsAsked).toBe(2);
      // Its own connections make no automatic checkpoint.
      expect(await manager.use(tenant, autocheckpoint)).toBe(0);
    } finally {
      manager.closeAll();
    }
  });
});

describe("closing a shard on the server's thread", () => {
  const write = (manager: ShardManager, t: Tenant, bytes = CHUNK) =>
    manager.use(t, (s) =>
      s.transaction(() => s.statement("INSERT INTO filler (b) VALUES (randomblob(?))").run(bytes)),
    );
  const manager = (clock: { now: number }, maxOpen = 8) =>
    new ShardManager({
      dataDir: dir.path,
      maxOpen,
      idleMs: 1000,
      now: () => clock.now,
      // Never asked on release here (far past any write): only before closing.
      walCheckpointBytes: 1024 ** 4,
      checkpoint: (t) =>
        deps.pool.run("tenancy.checkpoint", { tenantId: t.id, slug: t.slug, file: t.file, params: {} }),
    });

  it("an idle shard is checkpointed in the pool first, and closed at a later sweep with nothing left to copy", async () => {
    deps.shards.closeAll();
    const clock = { now: 1_000_000 };
    const shards = manager(clock);
    try {
      await write(shards, tenant);
      expect(walSize()).toBeGreaterThan(CHUNK);
      clock.now += 1000;
      expect(shards.closeIdle()).toBe(0);
      expect(shards.checkpointsAsked).toBe(1);
      await until(() => shards.checkpointsPending === 0, "the pool's checkpoint");
      expect(walSize()).toBe(0);
      expect(shards.closeIdle()).toBe(1);
      expect(shards.openCount).toBe(0);
    } finally {
      shards.closeAll();
    }
  });

  it("at the cap, an idle shard whose log the pool emptied is closed before an older one with a log", async () => {
    const other = await data.tenant("wal-other");
    await data.shards.use(other, (s) => s.sqlite.run("CREATE TABLE filler (b BLOB)"));
    data.shards.closeAll();
    const clock = { now: 2_000_000 };
    const shards = manager(clock, 2);
    try {
      await write(shards, tenant);
      await write(shards, other);
      // Idle: both are checkpointed in the pool, their logs emptied.
      clock.now += 1000;
      expect(shards.closeIdle()).toBe(0);
      await until(() => shards.checkpointsPending === 0, "the pool's checkpoints");
      expect(statSync(join(dir.path, `${other.file}-wal`)).size).toBe(0);
      // The tenant writes again; then the other is read, which leaves its log empty: the tenant,
      // least recently used, has a log.
      await write(shards, tenant);
      expect(walSize()).toBeGreaterThan(0);
      await shards.use(other, (s) => s.statement("SELECT count(*) FROM filler").values());
      await shards.use((await data.tenant("wal-third")) as Tenant, () => {});
      expect([shards.isOpen(tenant.id), shards.isOpen(other.id)]).toEqual([true, false]);
    } finally {
      shards.closeAll();
    }
  });
});
