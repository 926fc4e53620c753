import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { crm, decompressSnapshot } from "./support/backup-cli.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * `crm backup now | list | verify` and the restore's refusals, as an operator runs them over a
 * real server that keeps taking writes: a snapshot holds every write acknowledged before it was
 * asked for, is whole (integrity_check) and compressed; list and verify say which snapshots hold
 * and name the bad ones; retention keeps the newest; bad input and damaged snapshots change nothing.
 */

const dir = tempDir("crm-backup-");
const backups = join(dir.path, "backups");
let data: DataDir;
let server: TestServer;
let call: ReturnType<typeof api>;

const snapshotFiles = (slug: string) =>
  existsSync(join(backups, slug)) ? readdirSync(join(backups, slug)).sort() : [];

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("acme");
  await data.tenant("beta");
  server = await startServer({ dataDir: dir.path, env: { CRM_BACKUP_EVERY_HOURS: "off" } });
  call = api(server.url, await data.apiKey("acme"));
  const seeded = await crm(dir.path, ["seed", "--tenant", "acme", "--contacts", "1500", "--deals", "100"]);
  expect(seeded.code).toBe(0);
});

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("crm backup now", () => {
  it("snapshots a workspace while a client writes: every write acknowledged before it, whole, compressed, 0600, with its manifest", async () => {
    const acknowledged: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const response = await call("POST", "/t/acme/contacts", { firstName: "Writer", lastName: `W${n}` });
        if (response.status === 201) acknowledged.push(String(response.json.id));
        else throw new Error(`write refused: ${response.status} ${response.text}`);
      }
    })();
    while (acknowledged.length < 20) await Bun.sleep(5);
    const before = [...acknowledged];
    const run = await crm(dir.path, ["backup", "now", "acme"]);
    const after = [...acknowledged];
    writing = false;
    await writer;
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(after.length).toBeGreaterThan(before.length); // the server kept writing meanwhile

    const files = snapshotFiles("acme");
    expect(files).toEqual([
      expect.stringMatching(/^\d{8}T\d{6}\.\d{3}Z\.json$/),
      expect.stringMatching(/\.sqlite\.zst$/),
    ]);
    const snapshot = join(backups, "acme", files[1] as string);
    expect(run.stdout).toContain(snapshot);
    for (const f of files) expect(statSync(join(backups, "acme", f)).mode & 0o777).toBe(0o600);
    expect(statSync(join(backups, "acme")).mode & 0o777).toBe(0o700);

    const manifest = JSON.parse(readFileSync(join(backups, "acme", files[0] as string), "utf8"));
    const copy = new Database(decompressSnapshot(snapshot, join(dir.path, "copy.sqlite")), {
      readonly: true,
    });
    try {
      expect(copy.query("PRAGMA integrity_check").values()).toEqual([["ok"]]);
      const ids = new Set(
        copy
          .query("SELECT id FROM contacts WHERE first_name = 'Writer'")
          .values()
          .map((r) => String(r[0])),
      );
      // Consistent: all acknowledged before the command, and a prefix of the writes (no gap).
      for (const id of before) expect(ids.has(id)).toBe(true);
      expect(ids.size).toBeLessThanOrEqual(after.length);
      expect([...ids].sort()).toEqual(after.slice(0, ids.size).sort());
      expect(manifest.rows.contacts).toBe(
        Number(copy.query("SELECT count(*) FROM contacts").values()[0]?.[0]),
      );
      expect(manifest.schemaVersion).toBe(Number(copy.query("PRAGMA user_version").values()[0]?.[0]));
    } finally {
      copy.close();
    }
    expect(manifest).toMatchObject({
      format: "crm-backup/1",
      tenantId: data.get("acme").id,
      slug: "acme",
      name: "acme Ltd",
      compression: "zstd",
      integrity: "ok",
      bytes: statSync(snapshot).size,
      sha256: new Bun.CryptoHasher("sha256").update(readFileSync(snapshot)).digest("hex"),
    });
    expect(manifest.sourceBytes).toBeGreaterThan(manifest.bytes * 2); // compressed
    expect(Date.parse(manifest.takenAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("--all snapshots every workspace; bad input is refused (exit 2) before any snapshot is written", async () => {
    const refused = await Promise.all(
      [[], ["acme", "--all"], ["acme", "nope"], ["../etc"]].map((args) =>
        crm(dir.path, ["backup", "now", ...args]),
      ),
    );
    for (const run of refused) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/name the workspaces|not both|no workspace/);
    }
    expect(snapshotFiles("acme")).toHaveLength(2);
    const all = await crm(dir.path, ["backup", "now", "--all"]);
    expect(all.code).toBe(0);
    expect(snapshotFiles("acme")).toHaveLength(4);
    expect(snapshotFiles("beta")).toHaveLength(2);
  });
});

describe("crm backup list and verify", () => {
  it("list shows each snapshot with its checksum, as a table and as JSON; verify passes them all", async () => {
    const table = await crm(dir.path, ["backup", "list"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^SLUG\s+TAKEN AT\s+SIZE\s+FROM\s+CHECKSUM$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["acme", "acme", "beta"]);
    for (const line of lines.slice(1)) expect(line).toMatch(/ ok$/);
    const json = JSON.parse((await crm(dir.path, ["backup", "list", "beta", "--json"])).stdout);
    expect(json).toEqual([
      expect.objectContaining({ slug: "beta", checksumOk: true, problem: null, sha256: expect.any(String) }),
    ]);
    const verify = await crm(dir.path, ["backup", "verify"]);
    expect(verify.code).toBe(0);
    expect(
      verify.stdout
        .trim()
        .split("\n")
        .map((l) => l.slice(0, 4)),
    ).toEqual(["ok  ", "ok  ", "ok  "]);
    expect((await crm(dir.path, ["backup", "verify", "nope"])).code).toBe(2);
  });

  it("a flipped byte in a snapshot: list says BAD, verify exits 1 naming it, restore refuses and writes nothing", async () => {
    const [, older] = snapshotFiles("acme");
    const snapshot = join(backups, "acme", older as string);
    const bytes = readFileSync(snapshot);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0x01;
    writeFileSync(snapshot, bytes);

    const list = await crm(dir.path, ["backup", "list", "acme"]);
    expect(list.stdout).toMatch(/BAD: checksum mismatch/);
    const verify = await crm(dir.path, ["backup", "verify", "acme"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^BAD\s+acme .*checksum mismatch/m);
    expect(verify.stdout).toMatch(/^ok\s+acme/m); // the other one is fine
    expect(verify.stderr).toContain(snapshot);

    // Restoring that one (by --at) onto a fresh host: refused, nothing registered or left.
    const other = join(dir.path, "other-host");
    const at = new Date(
      Date.parse(JSON.parse(readFileSync(snapshot.replace(".sqlite.zst", ".json"), "utf8")).takenAt),
    );
    const restore = await crm(other, [
      "backup",
      "restore",
      "acme",
      "--from",
      backups,
      "--at",
      at.toISOString(),
    ]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain(snapshot);
    expect(restore.stderr).toMatch(/checksum mismatch.*nothing was restored/);
    expect(readdirSync(join(other, "tenants"))).toEqual([]);
    expect((await crm(other, ["tenants", "list"])).stdout).toContain("no workspaces yet");
  });

  it("a damaged manifest: verify exits 1 naming it, restore refuses with exit 1", async () => {
    const manifest = join(backups, "beta", snapshotFiles("beta")[0] as string);
    writeFileSync(manifest, readFileSync(manifest, "utf8").slice(0, 100));
    const verify = await crm(dir.path, ["backup", "verify", "beta"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/BAD\s+beta .*manifest .* cannot be read/);
    const restore = await crm(join(dir.path, "third-host"), ["backup", "restore", "beta", "--from", backups]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/manifest/);
    expect(readdirSync(join(dir.path, "third-host", "tenants"))).toEqual([]);
  });
});

describe("a forged snapshot", () => {
  it("another workspace's file under a manifest that matches its checksum: verify names it, restore refuses; one that decompresses past its manifest's size is stopped", async () => {
    const [, betaSnapshot] = snapshotFiles("beta");
    const bytes = readFileSync(join(backups, "beta", betaSnapshot as string));
    const stamp = "20260101T000000.000Z";
    mkdirSync(join(backups, "gamma"), { mode: 0o700 });
    writeFileSync(join(backups, "gamma", `${stamp}.sqlite.zst`), bytes);
    const manifest = (sourceBytes: number) => ({
      format: "crm-backup/1",
      tenantId: data.get("acme").id,
      slug: "gamma",
      name: "Gamma",
      createdAt: 0,
      takenAt: "2026-01-01T00:00:00.000Z",
      host: "elsewhere",
      file: `${stamp}.sqlite.zst`,
      compression: "zstd",
      sourceBytes,
      bytes: bytes.length,
      sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex"),
      rows: {},
      schemaVersion: 1,
      integrity: "ok",
    });
    const manifestPath = join(backups, "gamma", `${stamp}.json`);
    writeFileSync(manifestPath, JSON.stringify(manifest(Bun.zstdDecompressSync(bytes).length)));
    const verify = await crm(dir.path, ["backup", "verify", "gamma"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(
      `belongs to workspace ${data.get("beta").id}, its manifest says ${data.get("acme").id}`,
    );
    const restore = await crm(join(dir.path, "fourth-host"), [
      "backup",
      "restore",
      "gamma",
      "--from",
      backups,
    ]);
    expect(restore.code).toBe(1);
    expect(readdirSync(join(dir.path, "fourth-host", "tenants"))).toEqual([]);

    writeFileSync(manifestPath, JSON.stringify(manifest(4096)));
    const bounded = await crm(dir.path, ["backup", "verify", "gamma"]);
    expect(bounded.code).toBe(1);
    expect(bounded.stdout).toContain("decompresses to more than the 4096 bytes its manifest says");
  });
});

describe("retention", () => {
  it("--prune deletes snapshots older than CRM_BACKUP_KEEP_DAYS but keeps each workspace's newest CRM_BACKUP_KEEP_MIN, and stale debris", async () => {
    // Three snapshots from days ago (copies under older names), plus the two real ones.
    const [manifest, snapshot] = snapshotFiles("acme").slice(-2);
    const days = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().replace(/[-:]/g, "");
    for (const n of [5, 4, 3]) {
      const stamp = days(n);
      copyFileSync(join(backups, "acme", snapshot as string), join(backups, "acme", `${stamp}.sqlite.zst`));
      copyFileSync(join(backups, "acme", manifest as string), join(backups, "acme", `${stamp}.json`));
    }
    const debris = join(backups, "acme", "20200101T000000.000Z.sqlite.zst.part");
    writeFileSync(debris, "half");
    utimesSync(debris, new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 2 * 86_400_000));
    const fresh = join(backups, "acme", "x.sqlite.zst.part");
    writeFileSync(fresh, "being written");
    expect(snapshotFiles("acme").filter((f) => f.endsWith(".zst"))).toHaveLength(5);

    const run = await crm(dir.path, ["backup", "now", "acme", "--prune"], {
      CRM_BACKUP_KEEP_DAYS: "2",
      CRM_BACKUP_KEEP_MIN: "4",
    });
    expect(run.code).toBe(0);
    const left = snapshotFiles("acme").filter((f) => f.endsWith(".zst"));
    // 6 snapshots: the newest 4 stay whatever their age (one is 3 days old), the older two go.
    expect(left).toHaveLength(4);
    expect(left[0]?.slice(0, 8)).toBe(days(3).slice(0, 8));
    expect(run.stdout.match(/pruned/g)).toHaveLength(2);
    expect(existsSync(debris)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    // Each kept snapshot still has its manifest.
    for (const f of left)
      expect(existsSync(join(backups, "acme", f.replace(".sqlite.zst", ".json")))).toBe(true);
  });
});
