import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog } from "../src/tenancy/catalog.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";

const MAKE_TENANTS = fileURLToPath(new URL("./support/make-tenants.ts", import.meta.url));
const TENANTS = 1000;
const CAP = 64;
/** Requests in flight at once while walking through the tenants. */
const CONCURRENCY = 8;
/** Processes making the tenants at once (see shard-cap-tenants.ts). */
const MAKERS = 4;
/**
 * The hook and the test only have to catch a hang, not measure speed: making 1,000 real
 * tenants (each migrated and committed with synchronous=FULL, then given an API key) took ~14 s
 * on this idle 2-core machine and ~60 s with the load average near 10.
 * Ten minutes leaves room for a much slower disk while still failing a stuck run.
 */
const HANG_MS = 600_000;

let server: TestServer;
const dir = tempDir();
let tenants: { slug: string; key: string }[] = [];

beforeAll(async () => {
  // Made once up front, so the makers only ever open an existing catalog.
  Catalog.open(dir.path).close();
  const per = TENANTS / MAKERS;
  const made = await Promise.all(
    Array.from({ length: MAKERS }, async (_, m) => {
      const maker = Bun.spawn(
        [process.execPath, MAKE_TENANTS, dir.path, String(m * per), String((m + 1) * per)],
        { stdout: "pipe", stderr: "pipe" },
      );
      const [out, err, code] = await Promise.all([
        new Response(maker.stdout).text(),
        new Response(maker.stderr).text(),
        maker.exited,
      ]);
      if (code !== 0) throw new Error(`making tenants ${m * per}.. failed (${code}):\n${err}`);
      return JSON.parse(out) as { slug: string; key: string }[];
    }),
  );
  tenants = made.flat();
  expect(new Set(tenants.map((t) => t.slug)).size).toBe(TENANTS);
  server = await startServer({ dataDir: dir.path, env: { CRM_MAX_OPEN_SHARDS: String(CAP) } });
}, HANG_MS);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

/**
 * The server's descriptors on tenant files (each shard's file, -wal and -shm), by file. Sockets,
 * the catalog and the runtime's own descriptors are left out: they come and go with keep-alive
 * and load, and say nothing about closed shards.
 */
function tenantDescriptors(): Map<string, number> {
  const tenantsDir = join(dir.path, "tenants/");
  const byFile = new Map<string, number>();
  for (const fd of readdirSync(`/proc/${server.pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${server.pid}/fd/${fd}`);
    } catch {
      continue; // closed between listing and reading
    }
    if (!target.startsWith(tenantsDir)) continue;
    const file = target.slice(tenantsDir.length).replace(/(-wal|-shm)?( \(deleted\))?$/, "");
    byFile.set(file, (byFile.get(file) ?? 0) + 1);
  }
  return byFile;
}

const ready = async () =>
  (await (await fetch(`${server.url}/readyz`)).json()) as { openShards: number; shardOpens: number };

describe(`${TENANTS} tenants behind an open-shard cap of ${CAP}`, () => {
  it(
    "serves every tenant, never holds more than the cap open, and keeps exactly three descriptors per open shard",
    async () => {
      const samples: { served: number; openShards: number; files: number; descriptors: number }[] = [];
      const sample = async (served: number) => {
        const state = await ready();
        const byFile = tenantDescriptors();
        const descriptors = [...byFile.values()].reduce((a, b) => a + b, 0);
        samples.push({ served, openShards: state.openShards, files: byFile.size, descriptors });
      };
      for (let i = 0; i < TENANTS; i += CONCURRENCY) {
        await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, TENANTS - i) }, async (_, j) => {
            const { slug, key } = tenants[i + j] as { slug: string; key: string };
            const response = await fetch(`${server.url}/api/v1/t/${slug}/contacts?limit=1`, {
              headers: { authorization: `Bearer ${key}` },
            });
            expect([slug, response.status]).toEqual([slug, 200]);
            await response.arrayBuffer();
          }),
        );
        if ((i + CONCURRENCY) % 96 === 0) await sample(i + CONCURRENCY);
      }
      await sample(TENANTS);
      expect(samples.length).toBe(Math.floor(TENANTS / 96) + 1);
      const state = await ready();
      expect(state.shardOpens).toBe(TENANTS);
      // Between batches no request holds a shard: the server has exactly the shards it reports
      // open, each with its file, -wal and -shm, and nothing of the shards it closed.
      for (const s of samples) {
        expect(s.openShards).toBeLessThanOrEqual(CAP);
        expect(s).toEqual({ ...s, files: s.openShards, descriptors: 3 * s.openShards });
      }
      expect(samples.at(-1)).toEqual({ served: TENANTS, openShards: CAP, files: CAP, descriptors: 3 * CAP });
    },
    HANG_MS,
  );
});
