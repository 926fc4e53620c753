import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writePlacement } from "../src/cluster/placement-file.ts";
import { crm, rowCounts } from "./support/backup-cli.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * The restore procedure of README "Backups": host A backs up to a directory that outlives it;
 * A is lost (its data directory deleted); on host B, `crm backup restore <slug> --from <dir>`
 * registers the workspace with its id, slug and name, and B serves it: the same rows per table
 * as A had at the snapshot, integrity_check ok, its owner signs in. `--at` picks the newest
 * snapshot at or before a time; replacing a workspace B serves needs --force and takes effect
 * at the running server's next request.
 */

const root = tempDir("crm-restore-");
const hostA = join(root.path, "host-a");
const hostB = join(root.path, "host-b");
const offHost = join(root.path, "shared-backups");
let server: TestServer | undefined;
let tenantId = "";
let key = "";
/** Rows per table of A's file at each snapshot (nothing writes meanwhile), and the snapshot times. */
const rowsAt: Record<string, number>[] = [];
const takenAt: string[] = [];

async function snapshot(): Promise<void> {
  const run = await crm(hostA, ["backup", "now", "acme", "--backups", offHost]);
  expect(run.code).toBe(0);
  takenAt.push(run.stdout.split(/\s+/)[1] as string);
  const data = new DataDir(hostA);
  try {
    rowsAt.push(rowCounts(join(hostA, data.get("acme").file)));
  } finally {
    data.close();
  }
}

beforeAll(async () => {
  const data = new DataDir(hostA);
  tenantId = (await data.tenant("acme")).id;
  key = await data.apiKey("acme", "admin");
  data.close();
  server = await startServer({ dataDir: hostA, env: { CRM_BACKUP_EVERY_HOURS: "off" } });
  const call = api(server.url, key);
  for (let n = 0; n < 5; n++)
    expect((await call("POST", "/t/acme/contacts", { firstName: `First${n}` })).status).toBe(201);
  await snapshot();
  for (let n = 0; n < 7; n++)
    expect((await call("POST", "/t/acme/contacts", { firstName: `Later${n}` })).status).toBe(201);
  await snapshot();
  // Host A is lost: its server stops and its data directory is gone; the backups were off-host.
  expect(await server.stop()).toBe(0);
  server = undefined;
  rmSync(hostA, { recursive: true, force: true });
});

afterAll(async () => {
  await server?.stop();
  root.remove();
});

describe("restoring a lost host's workspace on another host", () => {
  it("--at picks the newest snapshot at or before the time; the workspace is registered with its id, slug and name, rows identical, integrity ok", async () => {
    const between = new Date(Date.parse(takenAt[0] as string) + 1).toISOString();
    const run = await crm(hostB, ["backup", "restore", "acme", "--from", offHost, "--at", between]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`recovery point: ${takenAt[0]}`);
    expect(run.stdout).toContain("registered on this host");
    expect(run.stdout).toMatch(/rows: 5 contacts/);
    const data = new DataDir(hostB);
    try {
      const tenant = data.get("acme");
      expect(tenant).toMatchObject({
        id: tenantId,
        slug: "acme",
        name: "acme Ltd",
        status: "active",
        failure: null,
      });
      const file = join(hostB, tenant.file);
      expect(rowCounts(file)).toEqual(rowsAt[0] as Record<string, number>);
      const db = new Database(file, { readonly: true });
      expect(db.query("PRAGMA integrity_check").values()).toEqual([["ok"]]);
      db.close();
    } finally {
      data.close();
    }
  });

  it("without --force, a workspace the host has is not replaced (exit 2, nothing written); an unknown slug or a time before every snapshot: exit 2", async () => {
    const before = readdirSync(join(hostB, "tenants")).sort();
    const runs = await Promise.all([
      crm(hostB, ["backup", "restore", "acme", "--from", offHost]),
      crm(hostB, ["backup", "restore", "nope", "--from", offHost]),
      crm(hostB, ["backup", "restore", "acme", "--from", offHost, "--at", "2001-01-01"]),
      crm(hostB, ["backup", "restore", "acme", "--from", offHost, "--at", "yesterday"]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(runs[0]?.stderr).toContain('"acme" exists on this host: --force');
    expect(runs[1]?.stderr).toContain('no snapshots of "nope"');
    expect(runs[2]?.stderr).toContain('no snapshot of "acme" taken at or before 2001-01-01');
    expect(runs[3]?.stderr).toContain("--at must be an ISO time");
    expect(readdirSync(join(hostB, "tenants")).sort()).toEqual(before);
  });

  it("the restored workspace serves on the new host: its owner signs in, its API key works; --force to the newest snapshot takes effect at the running server's next request", async () => {
    server = await startServer({ dataDir: hostB, env: { CRM_BACKUP_EVERY_HOURS: "off" } });
    const owner = await signIn(server.url, "acme", "owner@acme.test", PASSWORD);
    const page = await owner.get("/t/acme/contacts");
    expect(page.status).toBe(200);
    expect(page.text).toContain("First4");
    expect(page.text).not.toContain("Later0");
    const call = api(server.url, key);
    const listed = await call("GET", "/t/acme/contacts?limit=100");
    expect(listed.status).toBe(200);
    expect(listed.json.data).toHaveLength(5);

    // Forward to the newest snapshot while B serves and a client writes: the old file is left,
    // the new one served; no write meanwhile fails (each lands in one file or the other).
    const statuses: number[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++)
        statuses.push((await call("POST", "/t/acme/contacts", { firstName: `During${n}` })).status);
    })();
    const run = await crm(hostB, ["backup", "restore", "acme", "--from", offHost, "--force"]);
    writing = false;
    await writer;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`recovery point: ${takenAt[1]}`);
    expect(run.stdout).toMatch(/the file it replaced stays at .*\.sqlite/);
    const after = await call("GET", "/t/acme/contacts?limit=100");
    expect(after.status).toBe(200);
    // The snapshot's 12, and none of the writes before the switch (they went to the old file).
    const names = after.json.data.map((c: { firstName: string }) => c.firstName);
    expect(names.filter((n: string) => !n.startsWith("During"))).toHaveLength(12);
    const duringInNew = names.filter((n: string) => n.startsWith("During")).length;
    expect(duringInNew).toBeLessThan(statuses.length);
    expect((await call("POST", "/t/acme/contacts", { firstName: "OnB" })).status).toBe(201);
    // Sessions live in the workspace's file: the one made on the older snapshot is not in this one.
    expect((await owner.get("/t/acme/contacts")).status).toBe(303);
    const again = await signIn(server.url, "acme", "owner@acme.test", PASSWORD);
    expect((await again.get("/t/acme/contacts")).text).toContain("OnB");
    const data = new DataDir(hostB);
    try {
      const rows = rowCounts(join(hostB, data.get("acme").file));
      expect(rows.contacts).toBe((rowsAt[1]?.contacts ?? 0) + duringInNew + 1);
    } finally {
      data.close();
    }
  });

  it("a workspace whose file was deleted under the running server (503) is served again after restore --force, with no restart", async () => {
    const data = new DataDir(hostB);
    const file = join(hostB, data.get("acme").file);
    data.close();
    rmSync(file);
    const call = api((server as TestServer).url, key);
    // A write finds it at once (a read within a second of the last check might not).
    expect((await call("POST", "/t/acme/contacts", { firstName: "Lost" })).status).toBe(503);
    expect((await call("GET", "/t/acme/contacts?limit=100")).status).toBe(503);
    const run = await crm(hostB, ["backup", "restore", "acme", "--from", offHost, "--force"]);
    expect(run.code).toBe(0);
    const served = await call("GET", "/t/acme/contacts?limit=100");
    expect(served.status).toBe(200);
    expect(served.json.data).toHaveLength(12);
    expect((await call("POST", "/t/acme/contacts", { firstName: "AfterLoss" })).status).toBe(201);
  });

  it("in a cluster whose placement gives the workspace to another host, the restore says how to move it here", async () => {
    const other = join(root.path, "host-c");
    mkdirSync(other);
    writePlacement(join(other, "cluster.json"), {
      version: 1,
      secret: "s".repeat(43),
      hosts: [
        { name: "a", url: "http://127.0.0.1:1" },
        { name: "c", url: "http://127.0.0.1:2" },
      ],
      overrides: { acme: "a" },
    });
    const run = await crm(other, ["backup", "restore", "acme", "--from", offHost], { CRM_HOST_NAME: "c" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("run crm cluster place acme c and reload nginx");
    expect(existsSync(join(other, "tenants", `${tenantId}.sqlite`))).toBe(true);
  });

  it("without CRM_HOST_NAME the restore does not claim the workspace is placed elsewhere when it may be here", async () => {
    // README's restore procedure run literally: the placement gives acme to "a", which may well
    // be the host the command runs on; the hint must not tell the operator to pin it "here".
    const other = join(root.path, "host-d");
    mkdirSync(other);
    writePlacement(join(other, "cluster.json"), {
      version: 1,
      secret: "s".repeat(43),
      hosts: [{ name: "a", url: "http://127.0.0.1:1" }],
      overrides: { acme: "a" },
    });
    const run = await crm(other, ["backup", "restore", "acme", "--from", offHost], { CRM_HOST_NAME: "" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the placement gives "acme" to a; CRM_HOST_NAME is not set');
    expect(run.stdout).not.toContain("run crm cluster place acme <this host> and reload nginx");
  });
});
