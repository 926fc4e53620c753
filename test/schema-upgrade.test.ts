import { Database } from "bun:sqlite";
import { afterAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { newTenantId } from "../src/auth/create-tenant.ts";
import type { Catalog } from "../src/tenancy/catalog.ts";
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

  it("a migration that rebuilds a table (as drizzle-kit does) keeps the rows that point at it", () => {
    const path = join(dir.path, "rebuild.sqlite");
    const sqlite = openDatabase(path, { create: true });
    const migrations = loadMigrations(TENANT_MIGRATIONS);
    migrateDatabase(sqlite, migrations);
    sqlite.run("INSERT INTO companies (name, created_at, updated_at) VALUES ('Acme', 1, 1)");
    const companyId = (sqlite.query("SELECT id FROM companies").get() as { id: number }).id;
    sqlite.run(
      "INSERT INTO contacts (first_name, company_id, created_at, updated_at) VALUES ('Ann', ?, 1, 1)",
      [companyId],
    );
    sqlite.run("INSERT INTO tags (name) VALUES ('vip')");
    sqlite.run("INSERT INTO company_tags (company_id, tag_id) SELECT ?, id FROM tags", [companyId]);
    const ddl = (
      sqlite.query("SELECT sql FROM sqlite_master WHERE name = 'companies'").get() as { sql: string }
    ).sql;
    const rebuild = {
      sql: [
        ddl.replace("`companies`", "`__new_companies`"),
        "INSERT INTO `__new_companies` SELECT * FROM `companies`",
        "DROP TABLE `companies`",
        "ALTER TABLE `__new_companies` RENAME TO `companies`",
      ],
      bps: true,
      folderMillis: Date.now(),
      hash: "rebuild-companies",
    };
    expect(migrateDatabase(sqlite, [...migrations, rebuild])).toBe(1);
    expect(sqlite.query("SELECT count(*) AS n FROM company_tags").get()).toEqual({ n: 1 });
    expect(sqlite.query("SELECT company_id AS c FROM contacts").get()).toEqual({ c: companyId });
    expect(sqlite.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    sqlite.close();
  });

  it("has every hand-written trigger (a drizzle-kit table rebuild drops a table's triggers: re-create them)", () => {
    const sqlite = openDatabase(join(dir.path, "triggers.sqlite"), { create: true });
    migrateDatabase(sqlite, loadMigrations(TENANT_MIGRATIONS));
    const names = (
      sqlite.query("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    for (const table of ["contacts", "companies", "deals", "notes"]) {
      for (const event of ["insert", "update", "delete"])
        expect(names).toContain(`${table}_fts_after_${event}`);
    }
    for (const table of ["contacts", "companies", "deals"])
      expect(names).toContain(`${table}_after_delete_cleanup`);
    for (const event of ["insert", "update", "delete"])
      expect(names).toContain(`deals_totals_after_${event}`);
    sqlite.close();
  });

  it("refuses a file whose applied migrations differ from this build's", () => {
    const path = join(dir.path, "edited.sqlite");
    const sqlite = openDatabase(path, { create: true });
    const migrations = loadMigrations(TENANT_MIGRATIONS);
    migrateDatabase(sqlite, migrations);
    sqlite.run(
      "UPDATE __drizzle_migrations SET hash = 'edited' WHERE id = (SELECT min(id) FROM __drizzle_migrations)",
    );
    expect(() => migrateDatabase(sqlite, migrations)).toThrow(/differs from this build/);
    sqlite.close();
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
