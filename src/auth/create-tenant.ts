import { rmSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../core/errors.ts";
import { type Catalog, SlugTakenError, TENANTS_DIR } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { loadMigrations, migrateDatabase, TENANT_MIGRATIONS } from "../tenancy/migrations.ts";
import { drizzleOver, openDatabase, runInTransaction } from "../tenancy/open-database.ts";
import { shardState } from "../tenancy/schema.ts";
import { insertUser } from "./insert-user.ts";
import type { NewTenantInput } from "./new-tenant-input.ts";
import type { PasswordHasher } from "./password-hasher.ts";
import type { User } from "./schema.ts";

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** 16 random base32 characters (80 bits): names the tenant's file, so a slug never reaches a path. */
export function newTenantId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let id = "";
  for (const byte of bytes) id += ID_ALPHABET[byte & 31];
  return id;
}

function slugTaken(slug: string): ValidationError {
  return new ValidationError([{ field: "slug", message: `"${slug}" is already taken` }]);
}

/**
 * Provisions a workspace: claims the slug in the catalog (status `provisioning`), creates and
 * migrates the tenant's file with its owner, then marks it active. If anything fails, the
 * claim and the file are removed, so a half-made tenant is never served.
 */
export async function createTenant(
  catalog: Catalog,
  hasher: PasswordHasher,
  input: NewTenantInput,
): Promise<{ tenant: Tenant; owner: User }> {
  if (catalog.findBySlug(input.slug)) throw slugTaken(input.slug);
  const passwordHash = await hasher.hash(input.ownerPassword);
  const id = newTenantId();
  const now = Date.now();
  let tenant: Tenant;
  try {
    tenant = catalog.reserve({
      id,
      slug: input.slug,
      name: input.name,
      file: `${TENANTS_DIR}/${id}.sqlite`,
      createdAt: now,
    });
  } catch (error) {
    if (error instanceof SlugTakenError) throw slugTaken(input.slug);
    throw error;
  }
  const path = join(catalog.dataDir, tenant.file);
  try {
    const sqlite = openDatabase(path, { create: true });
    try {
      migrateDatabase(sqlite, loadMigrations(TENANT_MIGRATIONS));
      const db = drizzleOver(sqlite);
      const owner = runInTransaction(sqlite, () => {
        db.insert(shardState).values({ id: 1, tenantId: id }).run();
        return insertUser(
          db,
          { email: input.ownerEmail, name: input.ownerName, passwordHash, role: "owner" },
          now,
        );
      });
      catalog.setStatus(id, "active");
      return { tenant: { ...tenant, status: "active" }, owner };
    } finally {
      sqlite.close(false);
    }
  } catch (error) {
    catalog.remove(id);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    throw error;
  }
}
