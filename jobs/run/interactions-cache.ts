import { statSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { listedFiles, readManifest } from "../export/manifest.ts";
import { INTERACTIONS } from "../export/warehouse-layout.ts";

/**
 * The runner's own copy of the warehouse's interactions, kept in its DuckDB database file
 * (`<warehouse>/_runner/cache.duckdb`) and brought up to date at the start of each run with the
 * part files the manifest lists: each listed file is read once, and the rows of the files it no
 * longer lists (a bucket rewritten, compacted or repaired) are dropped, so the copy always
 * equals the listed files. A file whose size or time changed since it was read (damaged, put
 * back) is read again. Only listed files are read: a file an export wrote before it was
 * stopped never is. Everything happens in one transaction: a file that cannot be read (its
 * error names it) leaves the copy as it was.
 */

/** Bumped when the copy's columns change: an older copy is dropped and read again. */
const CACHE_VERSION = 3;
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

/** The copy's columns as the jobs' `interactions` view shows them. */
export const CACHE_COLUMNS = ["tenant", "day", ...INTERACTION_COLUMNS];

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
    `CREATE TABLE IF NOT EXISTS interactions_cache (file VARCHAR, tenant VARCHAR, day DATE, id BIGINT,
       occurred_at TIMESTAMP, actor_type VARCHAR, actor_id BIGINT, kind VARCHAR, subject_type VARCHAR,
       subject_id BIGINT, stage_from BIGINT, stage_to BIGINT)`,
  );
  await connection.run("CREATE TABLE IF NOT EXISTS cached_files (file VARCHAR, bytes BIGINT, mtime BIGINT)");
}

export interface CacheRefresh {
  /** Part files read this time. */
  filesRead: number;
  /** Part files whose rows were dropped (no longer listed). */
  filesDropped: number;
  /** Part files the manifest lists. */
  files: number;
}

/** Brings the copy up to date with the part files the manifest lists (see the file's comment). */
export async function refreshInteractions(
  connection: DuckDBConnection,
  warehouse: string,
): Promise<CacheRefresh> {
  await ensureTables(connection);
  const manifest = readManifest(warehouse);
  /** Each listed file's size and time as found (`bytes:mtime`); a missing one fails its read. */
  const current = new Map<string, string>();
  if (manifest)
    for (const file of listedFiles(manifest, INTERACTIONS)) {
      let stamp = "missing";
      try {
        const stat = statSync(join(warehouse, file));
        stamp = `${stat.size}:${Math.round(stat.mtimeMs)}`;
      } catch {
        // Read below, where DuckDB names it.
      }
      current.set(file, stamp);
    }
  const cached = new Map<string, string>();
  for (const [file, bytes, mtime] of (
    await connection.runAndReadAll("SELECT file, bytes, mtime FROM cached_files")
  ).getRows())
    cached.set(String(file), `${bytes}:${mtime}`);

  const dropped = [...cached].filter(([file, bytes]) => current.get(file) !== bytes).map(([f]) => f);
  const toRead = [...current].filter(([file, bytes]) => cached.get(file) !== bytes).map(([f]) => f);

  // The new files are read into a temporary table first: a file that cannot be read fails
  // here, before the database file is touched.
  const columns = CACHE_COLUMNS.join(", ");
  await connection.run(
    "CREATE OR REPLACE TEMP TABLE new_parts AS SELECT * FROM interactions_cache WHERE false",
  );
  for (let i = 0; i < toRead.length; i += FILES_PER_READ) {
    const batch = toRead.slice(i, i + FILES_PER_READ);
    const paths = batch.map((file) => literal(join(warehouse, file))).join(", ");
    // The file's listed name, not its path: the warehouse may be moved between runs.
    const name = `substr(filename, ${join(warehouse, "x").length})`;
    await connection.run(
      `INSERT INTO new_parts SELECT ${name}, ${columns}
       FROM read_parquet([${paths}], hive_partitioning = false, filename = true)`,
    );
  }
  await connection.run("BEGIN TRANSACTION");
  try {
    if (dropped.length > 0) {
      const files = dropped.map(literal).join(", ");
      await connection.run(`DELETE FROM interactions_cache WHERE file IN (${files})`);
      await connection.run(`DELETE FROM cached_files WHERE file IN (${files})`);
    }
    await connection.run("INSERT INTO interactions_cache SELECT * FROM new_parts");
    if (toRead.length > 0) {
      const appender = await connection.createAppender("cached_files");
      for (const file of toRead) {
        const [bytes = "0", mtime = "0"] = (current.get(file) ?? "").split(":");
        appender.appendVarchar(file);
        appender.appendBigInt(BigInt(bytes));
        appender.appendBigInt(BigInt(mtime));
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
  return { filesRead: toRead.length, filesDropped: dropped.length, files: current.size };
}
