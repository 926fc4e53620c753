import type { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { asc, eq, isNotNull, sql } from "drizzle-orm";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { hostSettings, type Tenant, type TenantStatus, tenants } from "./catalog-schema.ts";
import { CATALOG_MIGRATIONS, loadMigrations, migrateDatabase } from "./migrations.ts";
import { connectionVersion, drizzleOver, openDatabase } from "./open-database.ts";

export const CATALOG_FILE = "catalog.sqlite";
export const TENANTS_DIR = "tenants";

export class SlugTakenError extends Error {
  constructor(readonly slug: string) {
    super(`workspace "${slug}" already exists`);
  }
}

/**
 * The host's list of tenants (data/catalog.sqlite): slug → file and status. It is the only
 * file shared by all tenants on a host and is read once per request, by primary key.
 */
export class Catalog {
  readonly db: BunSQLiteDatabase;
  private readonly bySlug;
  /** Tenants looked up by slug, valid while the catalog is unchanged (see connectionVersion). */
  private readonly cache = new Map<string, Tenant | undefined>();
  private cacheVersion = "";

  private constructor(
    readonly dataDir: string,
    private readonly sqlite: Database,
  ) {
    this.db = drizzleOver(sqlite);
    this.bySlug = this.db
      .select()
      .from(tenants)
      .where(eq(tenants.slug, sql.placeholder("slug")))
      .prepare();
  }

  /** Opens (creating if needed) the catalog under `dataDir` and brings its schema up to date. */
  static open(dataDir: string): Catalog {
    mkdirSync(join(dataDir, TENANTS_DIR), { recursive: true });
    const sqlite = openDatabase(join(dataDir, CATALOG_FILE), { create: true });
    migrateDatabase(sqlite, loadMigrations(CATALOG_MIGRATIONS));
    return new Catalog(dataDir, sqlite);
  }

  /** The tenant at `slug`, read once per change of the catalog (by any process): every request asks. */
  findBySlug(slug: string): Tenant | undefined {
    const version = connectionVersion(this.sqlite);
    if (version !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = version;
    }
    if (this.cache.has(slug)) return this.cache.get(slug);
    const tenant = this.bySlug.get({ slug });
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(slug, tenant);
    return tenant;
  }

  list(): Tenant[] {
    return this.db.select().from(tenants).orderBy(asc(tenants.slug)).all();
  }

  /** Claims a slug for a tenant being provisioned; the unique index settles races between processes. */
  reserve(tenant: Omit<Tenant, "status" | "failure" | "failedAt">): Tenant {
    const row = { ...tenant, status: "provisioning" as const, failure: null, failedAt: null };
    try {
      this.db.insert(tenants).values(row).run();
    } catch (error) {
      if (String(error).includes("UNIQUE")) throw new SlugTakenError(tenant.slug);
      throw error;
    }
    return row;
  }

  setStatus(id: string, status: TenantStatus): void {
    this.db.update(tenants).set({ status }).where(eq(tenants.id, id)).run();
  }

  /**
   * Marks the workspace's file as not to be served, with why (the first reason found stays):
   * every process on the host then answers 503 for it without opening the file. Returns
   * whether this call set the mark.
   */
  markFailed(id: string, reason: string, at: number): boolean {
    const result = this.sqlite
      .query("UPDATE tenants SET failure = ?, failed_at = ? WHERE id = ? AND failure IS NULL")
      .run(reason.slice(0, 500), at, id);
    return result.changes > 0;
  }

  /** Clears the mark once an operator has checked the file (crm tenants check). */
  clearFailure(id: string): void {
    this.db.update(tenants).set({ failure: null, failedAt: null }).where(eq(tenants.id, id)).run();
  }

  /** The workspaces marked failed, for /readyz and the operator. */
  failed(): Pick<Tenant, "slug" | "failure" | "failedAt">[] {
    return this.db
      .select({ slug: tenants.slug, failure: tenants.failure, failedAt: tenants.failedAt })
      .from(tenants)
      .where(isNotNull(tenants.failure))
      .orderBy(asc(tenants.slug))
      .all();
  }

  remove(id: string): void {
    this.db.delete(tenants).where(eq(tenants.id, id)).run();
  }

  /** A per-host secret (e.g. for signing pre-login CSRF tokens), created on first use and shared by every process on the host. */
  secret(name: string, create: () => string): string {
    this.db.insert(hostSettings).values({ key: name, value: create() }).onConflictDoNothing().run();
    const row = this.db.select().from(hostSettings).where(eq(hostSettings.key, name)).get();
    if (!row) throw new Error(`host setting ${name} missing`);
    return row.value;
  }

  close(): void {
    this.sqlite.close(false);
  }
}
