import { afterAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../test/support/temp-dir.ts";
import { DataDir } from "../../test/support/workspace.ts";
import { SYSTEM_ACTOR } from "../auth/viewer.ts";
import { createContact } from "../contacts/create-contact.ts";
import { ShardManager } from "./shard-manager.ts";

const dir = tempDir();
const data = new DataDir(dir.path);
afterAll(() => {
  data.close();
  dir.remove();
});

const openFds = () => readdirSync("/proc/self/fd").length;

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

  it("closes idle shards after the idle time", async () => {
    const tenant = await data.tenant("idle-a");
    const manager = new ShardManager({ dataDir: dir.path, idleMs: 1000 });
    manager.release(manager.acquire(tenant));
    expect(manager.closeIdle(Date.now() + 500)).toBe(0);
    expect(manager.closeIdle(Date.now() + 1500)).toBe(1);
    expect(manager.openCount).toBe(0);
  });

  it("after writes, closing a shard releases its file descriptors and checkpoints its WAL at once (not at GC)", async () => {
    const tenant = await data.tenant("fd-a");
    data.shards.closeAll();
    const before = openFds();
    const manager = new ShardManager({ dataDir: dir.path });
    const shard = manager.acquire(tenant);
    createContact(shard, SYSTEM_ACTOR, { firstName: "Fd", lastName: "", tags: ["x"] });
    manager.release(shard);
    expect(openFds()).toBeGreaterThan(before);
    manager.closeAll();
    expect(openFds()).toBe(before);
    expect(existsSync(`${join(dir.path, tenant.file)}-wal`)).toBe(false);
  });

  it("refuses a catalog entry that points at another tenant's file", async () => {
    const a = await data.tenant("own-a");
    const b = await data.tenant("own-b");
    const manager = new ShardManager({ dataDir: dir.path });
    expect(() => manager.acquire({ ...a, file: b.file })).toThrow(/does not belong/);
    expect(manager.openCount).toBe(0);
  });
});
