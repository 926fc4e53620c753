import { afterAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../test/support/temp-dir.ts";
import { DataDir } from "../../test/support/workspace.ts";
import { createContact } from "../contacts/create-contact.ts";
import { SYSTEM_ACTOR } from "../identity/viewer.ts";
import { WorkspaceUnavailableError } from "./shard-faults.ts";
import { ShardManager } from "./shard-manager.ts";

const dir = tempDir();
const data = new DataDir(dir.path);
afterAll(() => {
  data.close();
  dir.remove();
});

/**
 * What this process's descriptors point at under `path` (the file, its -wal and -shm), sorted.
 * Only these count: the runner's own descriptors come and go with the machine's load.
 */
function descriptorsOn(path: string): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(path)) targets.push(target);
    } catch {
      // The descriptor closed between listing and reading it (readdir's own, for one).
    }
  }
  return targets.sort();
}

describe("ShardManager", () => {
  it("closes the least recently used idle shard to stay under the cap", async () => {
    const a = await data.tenant("lru-a");
    const b = await data.tenant("lru-b");
    const c = await data.tenant("lru-c");
    const manager = new ShardManager({ dataDir: dir.path, maxOpen: 2 });
    manager.release(manager.acquire(a));
    manager.release(manager.acquire(b));
    manager.release(manager.acquire(a)); // a is now the most recently used
    manager.release(manager.acquire(c));
    expect(manager.openCount).toBe(2);
    expect(manager.isOpen(a.id)).toBe(true);
    expect(manager.isOpen(b.id)).toBe(false);
    manager.closeAll();
  });

  it("never closes a shard under a request that holds it, and shrinks back to the cap on release", async () => {
    const a = await data.tenant("held-a");
    const b = await data.tenant("held-b");
    const manager = new ShardManager({ dataDir: dir.path, maxOpen: 1 });
    const held = manager.acquire(a);
    const other = manager.acquire(b);
    expect(manager.openCount).toBe(2);
    expect(held.isClosed).toBe(false);
    manager.release(other);
    expect(manager.openCount).toBe(1);
    expect(other.isClosed).toBe(true);
    expect(held.statement("SELECT count(*) AS n FROM users").get()).toEqual({ n: 1 });
    manager.release(held);
    expect(held.isClosed).toBe(false);
    expect(manager.openCount).toBe(1);
    manager.closeAll();
  });

  it("closes a shard idle for idleMs since its last release, and never one a request holds", async () => {
    const tenant = await data.tenant("idle-a");
    let clock = 1_000_000;
    const manager = new ShardManager({ dataDir: dir.path, idleMs: 1000, now: () => clock });
    const shard = manager.acquire(tenant);
    clock += 10_000;
    expect(manager.closeIdle()).toBe(0);
    manager.release(shard);
    clock += 999;
    expect(manager.closeIdle()).toBe(0);
    expect(manager.isOpen(tenant.id)).toBe(true);
    clock += 1;
    expect(manager.closeIdle()).toBe(1);
    expect(manager.openCount).toBe(0);
    expect(shard.isClosed).toBe(true);
  });

  it("after writes, closing a shard releases its file descriptors and checkpoints its WAL at once (not at GC)", async () => {
    const tenant = await data.tenant("fd-a");
    data.shards.closeAll();
    const path = join(dir.path, tenant.file);
    expect(descriptorsOn(path)).toEqual([]);
    const manager = new ShardManager({ dataDir: dir.path });
    const shard = manager.acquire(tenant);
    createContact(shard, SYSTEM_ACTOR, { firstName: "Fd", lastName: "", tags: ["x"] });
    manager.release(shard);
    expect(descriptorsOn(path)).toEqual([path, `${path}-shm`, `${path}-wal`]);
    manager.closeAll();
    expect(descriptorsOn(path)).toEqual([]);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("refuses a catalog entry that points at another tenant's file", async () => {
    const a = await data.tenant("own-a");
    const b = await data.tenant("own-b");
    const faults: string[] = [];
    const manager = new ShardManager({
      dataDir: dir.path,
      onFault: (tenant, reason) => faults.push(`${tenant.slug}: ${reason}`),
    });
    expect(() => manager.acquire({ ...a, file: b.file })).toThrow(WorkspaceUnavailableError);
    expect(faults).toEqual([`own-a: shard ${b.file} does not belong to tenant ${a.id}`]);
    expect(manager.openCount).toBe(0);
  });
});
