import type { Database } from "bun:sqlite";
import { type MigrationMeta, readMigrationFiles } from "drizzle-orm/migrator";
import { appFile } from "../core/app-files.ts";

/** Where drizzle-kit writes each schema's migrations (see drizzle.config.ts and drizzle.catalog.config.ts). */
export const TENANT_MIGRATIONS = appFile("migrations/tenant");
export const CATALOG_MIGRATIONS = appFile("migrations/catalog");

/** drizzle's own bookkeeping table, so drizzle-kit sees the same history we apply. */
const MIGRATIONS_TABLE = "__drizzle_migrations";

const loaded = new Map<string, MigrationMeta[]>();

/** Reads a migrations folder once per process; drizzle's `migrate()` would re-read it on every shard open. */
export function loadMigrations(folder: string): MigrationMeta[] {
  let migrations = loaded.get(folder);
  if (!migrations) {
    migrations = readMigrationFiles({ migrationsFolder: folder });
    loaded.set(folder, migrations);
  }
  return migrations;
}

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `database is at schema version ${found}, newer than this build knows (${known}); upgrade the binary`,
    );
  }
}

function userVersion(sqlite: Database): number {
  return (sqlite.query("PRAGMA user_version").get() as { user_version: number }).user_version;
}

export class MigrationMismatchError extends Error {
  constructor(index: number) {
    super(`applied migration ${index + 1} differs from this build's; refusing to open the file`);
  }
}

/** The hashes of the migrations a file has applied, in order. */
function appliedHashes(sqlite: Database): string[] {
  const table = sqlite
    .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(MIGRATIONS_TABLE);
  if (!table) return [];
  return (sqlite.query(`SELECT hash FROM ${MIGRATIONS_TABLE} ORDER BY id`).all() as { hash: string }[]).map(
    (r) => r.hash,
  );
}

/** Refuses a file whose applied migrations are not exactly this build's first ones (an edited or reordered migration). */
function checkApplied(sqlite: Database, migrations: MigrationMeta[]): void {
  appliedHashes(sqlite).forEach((hash, i) => {
    if (migrations[i]?.hash !== hash) throw new MigrationMismatchError(i);
  });
}

export class SchemaBehindError extends Error {
  constructor(found: number, known: number) {
    super(
      `database is at schema version ${found}, older than this build's ${known}; open it for writing first`,
    );
  }
}

/** For a reader: the file must be exactly at this build's schema (it cannot migrate it). */
export function requireCurrentSchema(sqlite: Database, migrations: MigrationMeta[]): void {
  const version = userVersion(sqlite);
  if (version > migrations.length) throw new SchemaTooNewError(version, migrations.length);
  if (version < migrations.length) throw new SchemaBehindError(version, migrations.length);
  checkApplied(sqlite, migrations);
}

/**
 * Brings a database up to the latest migration and returns how many were applied.
 *
 * `PRAGMA user_version` counts the applied migrations, so an up-to-date file costs one pragma
 * read (and a check of the applied hashes). Pending migrations run under `BEGIN IMMEDIATE`,
 * which waits for (rather than races) another process migrating the same file, and the count
 * is re-read inside the lock.
 *
 * Foreign keys are off while migrating: drizzle-kit rebuilds a table by creating a new one,
 * copying, dropping the old and renaming, and `PRAGMA foreign_keys` cannot change inside a
 * transaction, so with them on the drop would cascade into every child table. Integrity is
 * checked with `foreign_key_check` before committing instead.
 */
export function migrateDatabase(sqlite: Database, migrations: MigrationMeta[]): number {
  const version = userVersion(sqlite);
  if (version > migrations.length) throw new SchemaTooNewError(version, migrations.length);
  checkApplied(sqlite, migrations);
  if (version === migrations.length) return 0;
  sqlite.run("PRAGMA foreign_keys = OFF");
  sqlite.run("BEGIN IMMEDIATE");
  try {
    const current = userVersion(sqlite);
    if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length);
    sqlite.run(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)`,
    );
    const record = sqlite.query(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`);
    for (const migration of migrations.slice(current)) {
      for (const statement of migration.sql) {
        if (statement.trim()) sqlite.run(statement);
      }
      record.run(migration.hash, migration.folderMillis);
    }
    const broken = sqlite.query("PRAGMA foreign_key_check").all();
    if (broken.length)
      throw new Error(`migration left ${broken.length} broken foreign key(s): ${JSON.stringify(broken[0])}`);
    sqlite.run(`PRAGMA user_version = ${migrations.length}`);
    sqlite.run("COMMIT");
    return migrations.length - current;
  } catch (error) {
    sqlite.run("ROLLBACK");
    throw error;
  } finally {
    sqlite.run("PRAGMA foreign_keys = ON");
  }
}
