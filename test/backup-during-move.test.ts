import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { crm } from "./support/backup-cli.ts";
import { type MoveCluster, workspacesOnA } from "./support/move-cluster.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * Backups and a move of the same workspace: `crm backup now` during the move's freeze takes a
 * snapshot of the frozen file; `crm backup restore --force` of a workspace a move has frozen is
 * refused (it would install an unfrozen file behind the move's back: writes acknowledged there
 * are lost when the move retires it), changing nothing; and a snapshot taken while frozen,
 * restored once the move is over, serves writes (the freeze was the move's, not the data's).
 */
describe("backups while a move freezes the workspace", () => {
  let cluster: MoveCluster;
  let key = "";
  let arrivingKey = "";
  let staleKey = "";
  const backups = () => join(cluster.root, "backups");
  const frozenMarker = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.query("SELECT frozen_since AS t FROM shard_state").get() as { t: number | null }).t;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    let keys: Record<string, string>;
    ({ cluster, keys } = await workspacesOnA(["acme", "arriving", "stale"], 50));
    key = keys.acme as string;
    arrivingKey = keys.arriving as string;
    staleKey = keys.stale as string;
  }, 60_000);
  afterAll(() => cluster?.stop());

  it("restore --force of a workspace frozen by a move is refused and changes nothing; a frozen snapshot restores writable", async () => {
    const a = cluster.dataDir("a");
    expect((await crm(a, ["backup", "now", "acme", "--backups", backups()])).code).toBe(0);
    const paused = await cluster.move(["acme", "--to", "b", "--until", "freeze"]);
    expect(paused.code).toBe(0);
    const during = await crm(a, ["backup", "now", "acme", "--backups", backups()]);
    expect(during.code).toBe(0);
    const before = readdirSync(join(a, "tenants")).sort();
    const refused = await crm(a, ["backup", "restore", "acme", "--from", backups(), "--force"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("being moved");
    expect(readdirSync(join(a, "tenants")).sort()).toEqual(before);
    // The move goes on; writes land on b.
    const done = await cluster.move(["acme", "--to", "b"]);
    expect(done.code).toBe(0);
    const call = cluster.api("acme", key);
    expect((await call("POST", "/t/acme/contacts", { firstName: "OnB" })).status).toBe(201);
    // b loses its data: the newest snapshot (taken on a during the freeze) is restored there.
    const b = cluster.dataDir("b");
    const restored = await crm(b, ["backup", "restore", "acme", "--from", backups(), "--force"]);
    expect(restored.code).toBe(0);
    const data = new DataDir(b);
    const file = join(b, data.get("acme").file);
    data.close();
    expect(frozenMarker(file)).toBeNull();
    const after = await call("POST", "/t/acme/contacts", { firstName: "AfterRestore" });
    expect(after.status).toBe(201);
  }, 60_000);

  it("restoring, on the destination, a workspace a move is bringing there is refused: the move's catch-up would take the older snapshot for its copy", async () => {
    const a = cluster.dataDir("a");
    const b = cluster.dataDir("b");
    expect((await crm(a, ["backup", "now", "arriving", "--backups", backups()])).code).toBe(0);
    expect((await cluster.move(["arriving", "--to", "b", "--until", "copy"])).code).toBe(0);
    // Acknowledged on a after the snapshot: must reach b with the move.
    const call = cluster.api("arriving", arrivingKey);
    const late = await call("POST", "/t/arriving/contacts", { firstName: "AfterSnapshot" });
    expect(late.status).toBe(201);
    const refused = await crm(b, ["backup", "restore", "arriving", "--from", backups()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("is being moved to this host");
    const data = new DataDir(b);
    expect(data.catalog.findBySlug("arriving")).toBeUndefined();
    data.close();
    const done = await cluster.move(["arriving", "--to", "b"]);
    expect(done.code).toBe(0);
    expect(cluster.ownerName("arriving")).toBe("b");
    const id = late.json.id as string;
    expect((await cluster.api("arriving", arrivingKey)("GET", `/t/arriving/contacts/${id}`)).status).toBe(
      200,
    );
  }, 60_000);

  it("a catch-up never takes a writable workspace of the same id on the destination for its copy: the move stops before the flip", async () => {
    const a = cluster.dataDir("a");
    const b = cluster.dataDir("b");
    expect((await crm(a, ["backup", "now", "stale", "--backups", backups()])).code).toBe(0);
    expect((await cluster.move(["stale", "--to", "b", "--until", "copy"])).code).toBe(0);
    const late = await cluster.api("stale", staleKey)("POST", "/t/stale/contacts", { firstName: "Late" });
    expect(late.status).toBe(201);
    // However it got there (here: a restore with the move's copy out of its sight), b has it writable.
    const incoming = join(b, "moves", "incoming");
    renameSync(incoming, `${incoming}.away`);
    expect((await crm(b, ["backup", "restore", "stale", "--from", backups()])).code).toBe(0);
    renameSync(`${incoming}.away`, incoming);
    const resumed = await cluster.move(["stale", "--to", "b"]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain("it is not this move's copy");
    expect(cluster.ownerName("stale")).toBe("a");
    const id = late.json.id as string;
    expect((await cluster.api("stale", staleKey)("GET", `/t/stale/contacts/${id}`)).status).toBe(200);
  }, 60_000);
});
