import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crm } from "./support/backup-cli.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

/**
 * The server's own schedule (CRM_BACKUP_EVERY_HOURS): a `--procs 2` group takes one snapshot of
 * every workspace per round, from one process only, in its worker pool, while /healthz keeps
 * answering at once; each workspace's old snapshots are pruned after its snapshot; one that
 * cannot be backed up is logged and the others are.
 */

const dir = tempDir("crm-backup-schedule-");
const backups = join(dir.path, "backups");
let server: TestServer;

const zst = (slug: string) => readdirSync(join(backups, slug)).filter((f) => f.endsWith(".sqlite.zst"));

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant("acme");
  await data.tenant("beta");
  // A workspace whose file is gone (no request has found it yet): its snapshot fails, the round goes on.
  rmSync(join(dir.path, (await data.tenant("gone")).file));
  data.close();
  expect((await crm(dir.path, ["seed", "--tenant", "acme", "--contacts", "3000"])).code).toBe(0);
  // Four snapshots of beta from a month ago: past CRM_BACKUP_KEEP_DAYS (14).
  mkdirSync(join(backups, "beta"), { recursive: true });
  for (let day = 30; day < 34; day++) {
    const stamp = new Date(Date.now() - day * 86_400_000).toISOString().replace(/[-:]/g, "");
    writeFileSync(join(backups, "beta", `${stamp}.sqlite.zst`), "old");
    writeFileSync(join(backups, "beta", `${stamp}.json`), "{}");
  }
  server = await startServer({
    dataDir: dir.path,
    args: ["--procs", "2"],
    // A round every 1.8 s.
    env: { CRM_PROCS: "2", CRM_BACKUP_EVERY_HOURS: "0.0005" },
  });
});

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe("the server's backup schedule", () => {
  it("takes a snapshot of every workspace on its own, from one process of the group, without stalling /healthz", async () => {
    const latencies: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const started = performance.now();
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        latencies.push(performance.now() - started);
        await Bun.sleep(10);
      }
    })();
    const logged = (msg: string) =>
      server.lines.filter((l) => l.includes(msg)).map((l) => JSON.parse(l) as Record<string, unknown>);
    // Two rounds, so the second is known to be scheduled by the same process.
    const deadline = Date.now() + 30_000;
    while (logged("backup round finished").length < 2 && Date.now() < deadline) await Bun.sleep(50);
    polling = false;
    await poller;

    const rounds = logged("backup round finished");
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds[0]).toMatchObject({ taken: 2, failed: ["gone"] });
    expect(logged('"backup failed"')[0]).toMatchObject({ slug: "gone", level: "error" });
    // Only the group's first process schedules snapshots.
    expect(new Set(rounds.map((l) => l.group))).toEqual(new Set([0]));
    const taken = logged('"backup taken"');
    expect(taken.slice(0, 2).map((l) => l.slug)).toEqual(["acme", "beta"]);
    expect(rounds.every((l) => String(l.failed) === "gone")).toBe(true);
    expect(zst("acme").length).toBeGreaterThanOrEqual(2);
    // beta: the month-old ones were pruned after each of its snapshots down to the newest 3 in all.
    expect(zst("beta")).toHaveLength(3);
    expect(taken.filter((l) => l.slug === "beta")[0]).toMatchObject({ pruned: 2 });

    // When the last round started is the host's own (the backup directory may be shared).
    expect(existsSync(join(dir.path, "backup-last-round"))).toBe(true);
    expect(readdirSync(backups).sort()).toEqual(["acme", "beta"]);
    const list = JSON.parse((await crm(dir.path, ["backup", "list", "acme", "--json"])).stdout);
    expect(list.every((s: { checksumOk: boolean }) => s.checksumOk)).toBe(true);
    latencies.sort((a, b) => a - b);
    expect(latencies.length).toBeGreaterThan(20);
    // The snapshots (VACUUM INTO, zstd, SHA-256) ran in the pool: the server's thread stayed free.
    expect(latencies.at(-1) as number).toBeLessThan(250);
  });
});
