import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * An API key's once-a-minute last-use write is bookkeeping: while another connection holds the
 * workspace's write lock (a worker storing an event batch, another process), a request with the
 * key is served and the write waits for a later request, instead of the request getting a 503.
 */
const SLUG = "keys-locked";
const dir = tempDir();
let data: DataDir;
let server: TestServer;
let key: string;
let file: string;

beforeAll(async () => {
  data = new DataDir(dir.path);
  const tenant = await data.tenant(SLUG);
  file = join(dir.path, tenant.file);
  key = await data.apiKey(SLUG, "member");
  data.close();
  // A short wait for the lock: a request that needed it would be a 503 quickly.
  server = await startServer({ dataDir: dir.path, env: { CRM_BUSY_RETRY_MS: "200" } });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe("an API key's last use while the workspace is locked", () => {
  it("serves the request and records the use on a later one", async () => {
    const call = api(server.url, key);
    const holder = new Database(file);
    const lastUsed = () =>
      (holder.query("SELECT last_used_at AS at FROM api_keys").get() as { at: number | null }).at;
    try {
      expect(lastUsed()).toBeNull();
      holder.run("BEGIN IMMEDIATE");
      const locked = await call("GET", `/t/${SLUG}/contacts`);
      expect(locked.status).toBe(200);
      expect(locked.json.data).toEqual([]);
      expect(lastUsed()).toBeNull();
      holder.run("ROLLBACK");
      const later = await call("GET", `/t/${SLUG}/contacts`);
      expect(later.status).toBe(200);
      expect(lastUsed()).toBeGreaterThan(0);
    } finally {
      if (holder.inTransaction) holder.run("ROLLBACK");
      holder.close();
    }
  }, 60_000);
});
