import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readdirSync } from "node:fs";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

const TENANTS = 1000;
const CAP = 64;

let server: TestServer;
const dir = tempDir();
const keys: string[] = [];
const slug = (i: number) => `cap-${String(i).padStart(4, "0")}`;

beforeAll(async () => {
  const data = new DataDir(dir.path);
  for (let batch = 0; batch < TENANTS; batch += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => data.tenant(slug(batch + j))));
  }
  for (let i = 0; i < TENANTS; i++) keys.push(await data.apiKey(slug(i)));
  data.close();
  server = await startServer({ dataDir: dir.path, env: { CRM_MAX_OPEN_SHARDS: String(CAP) } });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

const openFds = () => readdirSync(`/proc/${server.pid}/fd`).length;
const ready = async () =>
  (await (await fetch(`${server.url}/readyz`)).json()) as { openShards: number; shardOpens: number };

describe(`${TENANTS} tenants behind an open-shard cap of ${CAP}`, () => {
  it("serves every tenant, never holds more than the cap open, and does not leak file descriptors", async () => {
    const fdSamples: number[] = [];
    for (let i = 0; i < TENANTS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, TENANTS - i) }, async (_, j) => {
          const n = i + j;
          const response = await fetch(`${server.url}/api/v1/t/${slug(n)}/contacts?limit=1`, {
            headers: { authorization: `Bearer ${keys[n]}` },
          });
          expect([slug(n), response.status]).toEqual([slug(n), 200]);
          await response.arrayBuffer();
        }),
      );
      if ((i + 8) % 96 === 0) {
        const state = await ready();
        expect(state.openShards).toBeLessThanOrEqual(CAP);
        fdSamples.push(openFds());
      }
    }
    const state = await ready();
    expect(state.openShards).toBe(CAP);
    expect(state.shardOpens).toBe(TENANTS);
    // Once the cap is reached, descriptors stay flat: every eviction closed its file.
    const afterCap = fdSamples.slice(1);
    expect(Math.max(...afterCap) - Math.min(...afterCap)).toBeLessThanOrEqual(8);
    // Three descriptors per open WAL shard, plus the process's own.
    expect(openFds()).toBeLessThan(CAP * 3 + 64);
  }, 120_000);
});
