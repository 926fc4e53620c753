import { afterAll, beforeAll } from "bun:test";
import type { Role } from "../../src/identity/roles.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { startServer, type TestServer } from "./server.ts";
import { tempDir } from "./temp-dir.ts";
import { api, DataDir } from "./workspace.ts";

export type ApiCall = ReturnType<typeof api>;

/**
 * A real server over a fresh data directory holding `slugs` (created before it starts), for a
 * suite of JSON API tests: registers the suite's beforeAll and afterAll. `key(slug, role)`
 * makes an API key and its caller; `onShard` and `count` read a workspace's file directly.
 */
export function apiWorkspaces(slugs: string[]) {
  const dir = tempDir();
  let data: DataDir;
  let server: TestServer;
  beforeAll(async () => {
    data = new DataDir(dir.path);
    for (const slug of slugs) await data.tenant(slug);
    server = await startServer({ dataDir: dir.path });
  });
  afterAll(async () => {
    await server?.stop();
    data.close();
    dir.remove();
  });
  const onShard = <T>(slug: string, work: (shard: Shard) => T) => data.shards.use(data.get(slug), work);
  return {
    key: async (slug: string, role: Role = "owner"): Promise<ApiCall> =>
      api(server.url, await data.apiKey(slug, role)),
    onShard,
    /** One number a query answers (`SELECT count(*) AS n …`). */
    scalar: (slug: string, sql: string, ...params: (string | number)[]) =>
      onShard(slug, (shard) => (shard.statement(sql).get(...params) as { n: number }).n),
  };
}
