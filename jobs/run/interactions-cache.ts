import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";

/**
 * The runner's own copy of the warehouse's interactions, kept in its DuckDB database file
 * (`<warehouse>/_runner/cache.duckdb`) and brought up to date at the start of each run by
 * reading only the part files that are new since the last run. The log is one small file per
 * workspace and day, and opening a file is most of the cost of reading it (measured: ~5 ms a
 * file, 75 s for 14,000 files), so the next night reads the day's new files, not all of them.
 *
 * A workspace whose files changed otherwise (one removed, rewritten or replaced: an erasure or
 * a merge made the export rebuild its history, or a file was damaged) is read again whole, so
 * the copy always equals the files. Everything happens in one transaction: a file that cannot be
 * read (its error names it) leaves the copy as it was.
 */

/** Bumped when the copy's columns change: an older copy is dropped and read again. */
const CACHE_VERSION = 1;
const FILES_PER_READ = 2000;

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

export const INTERACTION_COLUMNS = [
  "id",
  "occurred_at",
  "actor_type",
  "actor_id",
  "kind",
  "subject_type",
  "subject_id",
  "stage_from",
  "stage_to",
];

interface PartFile {
  path: string;
  tenant: string;
  bytes: number;
  mtime: number;
}

/** Every part file under `interactions/`, by path (folders starting with "_" or "." are not the warehouse's). */
function listParts(warehouse: string): Map<string, PartFile> {
  const parts = new Map<string, PartFile>();
  const root = join(warehouse, "interactions");
  if (!existsSync(root)) return parts;
  for (const day of readdirSync(root)) {
    if (!day.startsWith("day=")) continue;
    for (const tenantDir of readdirSync(join(root, day))) {
      if (!tenantDir.startsWith("tenant=")) continue;
      const folder = join(root, day, tenantDir);
      for (const file of readdirSync(folder)) {
        if (!file.endsWith(".parquet") || file.startsWith(".") || file.startsWith("_")) continue;
        const path = join(folder, file);
        const stat = statSync(path);
        parts.set(path, {
          path,
          tenant: tenantDir.slice("tenant=".length),
          bytes: stat.size,
          mtime: Math.round(stat.mtimeMs),
        });
      }
    }
  }
  return parts;
}

async function ensureTables(connection: DuckDBConnection): Promise<void> {
  await connection.run("CREATE TABLE IF NOT EXISTS cache_meta (version INTEGER)");
  const version = (await connection.runAndReadAll("SELECT max(version) FROM cache_meta")).getRows()[0]?.[0];
  if (version !== null && version !== undefined && Number(version) !== CACHE_VERSION) {
    await connection.run("DROP TABLE IF EXISTS interactions_cache");
    await connection.run("DROP TABLE IF EXISTS cached_files");
    await connection.run("DELETE FROM cache_meta");
  }
  if (version === null || version === undefined || Number(version) !== CACHE_VERSION)
    await connection.run(`INSERT INTO cache_meta VALUES (${CACHE_VERSION})`);
  await connection.run(
    `CREATE TABLE IF NOT EXISTS interactions_cache (tenant VARCHAR, day DATE, id BIGINT, occurred_at TIMESTAMP,
       actor_type VARCHAR, actor_id BIGINT, kind VARCHAR, subject_type VARCHAR, subject_id BIGINT,
       stage_from BIGINT, stage_to BIGINT)`,
  );
  await connection.run(
    "CREATE TABLE IF NOT EXISTS cached_files (path VARCHAR, tenant VARCHAR, bytes BIGINT, mtime BIGINT)",
  );
}

export interface CacheRefresh {
  /** Part files read this time. */
  filesRead: number;
  /** Workspaces read again whole (their files changed otherwise than by new parts). */
  tenantsReread: number;
  /** Part files in the warehouse. */
  files: number;
}

/** Brings the copy up to date with the warehouse's part files (see the file's comment). */
export async function refreshInteractions(
  connection: DuckDBConnection,
  warehouse: string,
): Promise<CacheRefresh> {
  await ensureTables(connection);
  const current = listParts(warehouse);
  const cached = new Map<string, PartFile>();
  for (const [path, tenant, bytes, mtime] of (
    await connection.runAndReadAll("SELECT path, tenant, bytes, mtime FROM cached_files")
  ).getRows())
    cached.set(String(path), {
      path: String(path),
      tenant: String(tenant),
      bytes: Number(bytes),
      mtime: Number(mtime),
    });

  const changed = new Set<string>();
  for (const old of cached.values()) {
    const now = current.get(old.path);
    if (!now || now.bytes !== old.bytes || now.mtime !== old.mtime) changed.add(old.tenant);
  }
  const toRead = [...current.values()].filter((f) => changed.has(f.tenant) || !cached.has(f.path));

  // The new files are read into a temporary table first: a file that cannot be read fails
  // here, before the database file is touched.
  const columns = INTERACTION_COLUMNS.join(", ");
  await connection.run(
    "CREATE OR REPLACE TEMP TABLE new_parts AS SELECT * FROM interactions_cache WHERE false",
  );
  for (let i = 0; i < toRead.length; i += FILES_PER_READ) {
    const batch = toRead.slice(i, i + FILES_PER_READ);
    await connection.run(
      `INSERT INTO new_parts SELECT tenant, day, ${columns}
       FROM read_parquet([${batch.map((f) => literal(f.path)).join(", ")}],
                         hive_partitioning = true, hive_types = {'day': DATE, 'tenant': VARCHAR})`,
    );
  }
  await connection.run("BEGIN TRANSACTION");
  try {
    if (changed.size > 0) {
      const tenants = [...changed].map(literal).join(", ");
      await connection.run(`DELETE FROM interactions_cache WHERE tenant IN (${tenants})`);
      await connection.run(`DELETE FROM cached_files WHERE tenant IN (${tenants})`);
    }
    await connection.run("INSERT INTO interactions_cache SELECT * FROM new_parts");
    if (toRead.length > 0) {
      const appender = await connection.createAppender("cached_files");
      for (const file of toRead) {
        appender.appendVarchar(file.path);
        appender.appendVarchar(file.tenant);
        appender.appendBigInt(BigInt(file.bytes));
        appender.appendBigInt(BigInt(file.mtime));
        appender.endRow();
      }
      appender.closeSync();
    }
    await connection.run("COMMIT");
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await connection.run("DROP TABLE IF EXISTS new_parts");
  }
  return { filesRead: toRead.length, tenantsReread: changed.size, files: current.size };
}
