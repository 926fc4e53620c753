import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import type { Catalog } from "../src/tenancy/catalog.ts";
import { newTenantId } from "../src/tenancy/create-tenant.ts";
import { loadMigrations, migrateDatabase, TENANT_MIGRATIONS } from "../src/tenancy/migrations.ts";
import { openDatabase } from "../src/tenancy/open-database.ts";
import { startServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

const dir = tempDir();
afterAll(() => dir.remove());

/** Makes a workspace file as the previous release would have: every migration but the newest. */
function oldShard(catalog: Catalog, slug: string) {
  const id = newTenantId();
  const file = `tenants/${id}.sqlite`;
  const previous = loadMigrations(TENANT_MIGRATIONS).slice(0, -1);
  const sqlite = openDatabase(join(dir.path, file), { create: true });
  migrateDatabase(sqlite, previous);
  sqlite.run("INSERT INTO shard_state (id, tenant_id) VALUES (1, ?)", [id]);
  sqlite.run(
    "INSERT INTO users (email, name, password_hash, role, created_at, updated_at) VALUES ('old@x.test', 'Old', 'x', 'owner', 1, 1)",
  );
  const insert = sqlite.prepare(
    "INSERT INTO contacts (first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
  );
  for (let i = 0; i < 100; i++)
    insert.run(`Legacy${i}`, "Person", `legacy${i}@old.test`, 1_600_000_000_000 + i, 1_600_000_000_000 + i);
  insert.finalize();
  sqlite.close();
  catalog.reserve({ id, slug, name: slug, file, createdAt: Date.now() });
  catalog.setStatus(id, "active");
  return { id, file, previousCount: previous.length };
}

describe("schema upgrade", () => {
  it("a shard made by the previous migration set is migrated when first opened and keeps its rows", async () => {
    const data = new DataDir(dir.path);
    const { file, previousCount } = oldShard(data.catalog, "legacy");
    const key = await data.apiKey("legacy"); // opening it here migrates it
    data.close();

    const sqlite = new Database(join(dir.path, file), { readonly: true });
    const version = (sqlite.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    expect(version).toBe(loadMigrations(TENANT_MIGRATIONS).length);
    expect(version).toBeGreaterThan(previousCount);
    expect(sqlite.query("SELECT count(*) AS n FROM contacts").get()).toEqual({ n: 100 });
    const applied = sqlite.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
    expect(applied.n).toBe(version);
    sqlite.close();

    const server = await startServer({ dataDir: dir.path });
    try {
      const call = api(server.url, key);
      const list = await call("GET", "/t/legacy/contacts?limit=200");
      expect(list.json.data.length).toBe(100);
      // Search (added by the newer migration) finds rows written before it existed.
      const found = await call("GET", "/t/legacy/contacts?q=legacy42");
      expect(found.json.data.map((c: { email: string }) => c.email)).toEqual(["legacy42@old.test"]);
    } finally {
      await server.stop();
    }
  });

  it("an up-to-date shard is left alone, and a newer one is refused rather than touched", () => {
    const path = join(dir.path, "newer.sqlite");
    const sqlite = openDatabase(path, { create: true });
    const migrations = loadMigrations(TENANT_MIGRATIONS);
    expect(migrateDatabase(sqlite, migrations)).toBe(migrations.length);
    expect(migrateDatabase(sqlite, migrations)).toBe(0);
    sqlite.run(`PRAGMA user_version = ${migrations.length + 1}`);
    expect(() => migrateDatabase(sqlite, migrations)).toThrow(/newer than this build/);
    sqlite.close();
  });
});
