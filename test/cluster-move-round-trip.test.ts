import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type MoveCluster, workspacesOnA } from "./support/move-cluster.ts";
import { contactIdsOn, startWriter, type WriteLog } from "./support/move-load.ts";

/**
 * A workspace moved away and back under a continuous write load, each host running two server
 * processes (`--procs 2`: the freeze and the retire must hold in both) and checkpointing often
 * (a tiny CRM_CHECKPOINT_WAL_BYTES): the first host's pool threads still hold the file it
 * retired when the workspace comes back. The file that comes back gets a name of its own, so no
 * old handle ever takes its write-ahead log for the old file's (found by bench:move: 206 writes
 * lost on the way back when it had the old name).
 */
describe("crm cluster move there and back", () => {
  let cluster: MoveCluster;
  let key = "";
  let log: WriteLog;
  const results: { code: number; stderr: string }[] = [];

  beforeAll(async () => {
    ({
      cluster,
      keys: { acme: key = "" },
    } = await workspacesOnA(["acme"], 1500, {
      CRM_CHECKPOINT_WAL_BYTES: String(64 * 1024),
      // Two server processes per host: the freeze, the retire and the return meet both.
      CRM_PROCS: "2",
    }));
    const writer = startWriter(cluster, "acme", key);
    await Bun.sleep(300);
    results.push(await cluster.move(["acme", "--to", "b"]));
    await Bun.sleep(1500);
    results.push(await cluster.move(["acme", "--to", "a"]));
    await Bun.sleep(1500);
    log = await writer.stop();
  }, 60_000);
  afterAll(() => cluster?.stop());

  it("moves both ways", () => {
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [0, ""],
      [0, ""],
    ]);
    expect(cluster.ownerName("acme")).toBe("a");
  });

  it("loses no acknowledged write, made on either host", () => {
    expect(log.acked.length).toBeGreaterThan(50);
    const onA = contactIdsOn(cluster, "a", "acme");
    expect(log.acked.filter((id) => !onA.has(id))).toEqual([]);
    expect(log.other).toEqual([]);
  });

  it("keeps each host's retired file, and serves a new file on the first host", () => {
    for (const host of ["a", "b"])
      expect(
        readdirSync(join(cluster.dataDir(host), "retired")).filter((f) => f.endsWith(".sqlite")),
      ).toHaveLength(1);
    expect(
      readdirSync(join(cluster.dataDir("a"), "tenants")).filter((f) => /\.m[0-9a-z]+\.sqlite$/.test(f)),
    ).toHaveLength(1);
  });
});
