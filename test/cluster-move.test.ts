import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readPlacement } from "../src/cluster/placement-file.ts";
import { type MoveCluster, workspacesOnA } from "./support/move-cluster.ts";
import { contactIdsOn, startReader, startWriter, type WriteLog } from "./support/move-load.ts";

/**
 * `crm cluster move` between two real hosts sharing one placement file, while a client writes
 * continuously through the API and another reads: no acknowledged write is lost, the freeze
 * refuses writes with 503 + Retry-After and never a read, and the workspace then serves from
 * the new host alone.
 */
describe("crm cluster move under a continuous write load", () => {
  let cluster: MoveCluster;
  let key = "";
  let log: WriteLog;
  let reads: number[];
  let moved: { code: number; stdout: string; stderr: string };
  let placementVersion = 0;

  beforeAll(async () => {
    // Enough rows that the copy takes a while and pages change under it.
    ({
      cluster,
      keys: { acme: key = "" },
    } = await workspacesOnA(["acme"], 2000));
    placementVersion = readPlacement(cluster.placementFile).version;
    const writer = startWriter(cluster, "acme", key);
    const reader = startReader(cluster, "acme", key);
    await Bun.sleep(300);
    moved = await cluster.move(["acme", "--to", "b"]);
    await Bun.sleep(300);
    log = await writer.stop();
    reads = await reader.stop();
  }, 60_000);
  afterAll(() => cluster?.stop());

  it("finishes and says how long writes were frozen", () => {
    expect(moved.stderr).toBe("");
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/acme is on b; [\d.]+ s; writes frozen [\d.]+ s; copied/);
    // No --nginx-reload: the step says nginx was left as it was, and what that means.
    expect(moved.stdout).toContain("nginx not reloaded (no --nginx-reload): until you reload it");
  });

  it("loses no acknowledged write: every one is in the new host's file", () => {
    expect(log.acked.length).toBeGreaterThan(20);
    const onB = contactIdsOn(cluster, "b", "acme");
    expect(log.acked.filter((id) => !onB.has(id))).toEqual([]);
  });

  it("refused writes during the freeze with 503 and Retry-After, and nothing else", () => {
    expect(log.refused).toBeGreaterThan(0);
    expect(log.refusedWithRetryAfter).toBe(log.refused);
    expect(log.other).toEqual([]);
  });

  it("kept every read working through the move", () => {
    expect(reads.length).toBeGreaterThan(20);
    expect(reads.filter((s) => s !== 200)).toEqual([]);
  });

  it("serves the workspace from the new host only, writable", async () => {
    expect(cluster.ownerName("acme")).toBe("b");
    const placement = readPlacement(cluster.placementFile);
    // An override only where rendezvous hashing would not put it on b anyway.
    expect([undefined, "b"]).toContain(placement.overrides.acme);
    expect(placement.version).toBe(placementVersion + 1);
    const call = cluster.api("acme", key);
    expect((await call("POST", "/t/acme/contacts", { firstName: "After", lastName: "Move" })).status).toBe(
      201,
    );
    // The old host no longer knows the workspace: its key is a stranger's there.
    const stale = await fetch(`${cluster.servers.a?.url}/api/v1/t/acme/contacts`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(stale.status).not.toBe(200);
    expect(contactIdsOn(cluster, "a", "acme").size).toBe(0);
  });

  it("keeps the old host's file under data/retired/, frozen, and leaves nothing in flight", () => {
    const retired = readdirSync(join(cluster.dataDir("a"), "retired"));
    expect(retired.filter((name) => name.endsWith(".sqlite"))).toHaveLength(1);
    expect(retired[0]).toStartWith("acme.");
    const incoming = join(cluster.dataDir("b"), "moves", "incoming");
    expect(existsSync(incoming) ? readdirSync(incoming) : []).toEqual([]);
    expect(existsSync(join(cluster.root, "operator", "moves", "acme.json"))).toBe(false);
    expect(readdirSync(join(cluster.root, "operator", "moves", "done"))).toHaveLength(1);
  });
});
