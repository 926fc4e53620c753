import { join } from "node:path";
import { newTenantId } from "../../src/auth/create-tenant.ts";
import type { Catalog } from "../../src/tenancy/catalog.ts";
import { loadMigrations, migrateDatabase, TENANT_MIGRATIONS } from "../../src/tenancy/migrations.ts";
import { openDatabase } from "../../src/tenancy/open-database.ts";

/** The migrations of the release before the events table (0000–0010; migration 0011 made it). */
export const BEFORE_EVENTS_TABLE = 11;

/**
 * Makes a workspace file as an earlier release would have (its first `migrations` migrations,
 * by default every one but the newest; an owner and `contacts` contacts) and registers it in the
 * catalog under `slug`, as schema-upgrade.test.ts does.
 */
export function oldShard(catalog: Catalog, slug: string, contacts = 100, migrations?: number) {
  const id = newTenantId();
  const file = `tenants/${id}.sqlite`;
  const all = loadMigrations(TENANT_MIGRATIONS);
  const previous = all.slice(0, migrations ?? all.length - 1);
  const sqlite = openDatabase(join(catalog.dataDir, file), { create: true });
  try {
    migrateDatabase(sqlite, previous);
    sqlite.run("INSERT INTO shard_state (id, tenant_id) VALUES (1, ?)", [id]);
    sqlite.run(
      "INSERT INTO users (email, name, password_hash, role, created_at, updated_at) VALUES ('old@x.test', 'Old', 'x', 'owner', 1, 1)",
    );
    const insert = sqlite.query(
      "INSERT INTO contacts (first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    );
    for (let i = 0; i < contacts; i++)
      insert.run(`Legacy${i}`, "Person", `legacy${i}@old.test`, 1_600_000_000_000 + i, 1_600_000_000_000 + i);
  } finally {
    sqlite.close();
  }
  catalog.reserve({ id, slug, name: slug, file, createdAt: Date.now() });
  catalog.setStatus(id, "active");
  return { id, slug, file, previousCount: previous.length };
}
