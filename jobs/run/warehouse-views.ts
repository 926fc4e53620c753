import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { readManifest } from "../export/manifest.ts";
import { VIEW_TABLES } from "./view-columns.ts";
import { type CacheRefresh, cachedColumns, cacheTable, refreshCache } from "./warehouse-cache.ts";

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A file the warehouse should hold and does not: the jobs that need it fail naming it. */
export class MissingPartitionError extends Error {
  constructor(readonly paths: string[]) {
    super(
      `missing warehouse file${paths.length > 1 ? "s" : ""}: ${paths.slice(0, 5).join(", ")}${paths.length > 5 ? ` and ${paths.length - 5} more` : ""}`,
    );
  }
}

/**
 * The files the manifest lists that are not there: a file lost or removed since the export
 * wrote it, whose rows would otherwise go silently uncounted.
 */
export function missingFiles(warehouse: string, folders?: readonly string[]): string[] {
  const missing: string[] = [];
  for (const folder of folders ?? [""]) {
    const root = folder ? join(warehouse, folder) : warehouse;
    const manifest = readManifest(root);
    if (!manifest) continue;
    for (const file of Object.keys(manifest.files).sort())
      if (!existsSync(join(root, file))) missing.push(join(root, file));
  }
  return missing;
}

export interface ViewOptions {
  warehouse: string;
  /** YYYY-MM-DD: the `params` view's run_date. */
  runDate: string;
  /** The size of each tenant's file (the `tenant_files` view the usage job reads). */
  tenantFiles: { tenant: string; bytes: number }[];
  /**
   * A union of hosts' warehouses (union-sources.ts): their folders (`hosts/<name>`), and each
   * workspace counted with the host whose rows count; every other host's rows of it are left out.
   */
  union?: { folders: readonly string[]; owners: readonly { tenant: string; host: string }[] };
}

/**
 * Creates the jobs' views (temporary; the database file keeps the runner's copy of the files):
 * `interactions` (with its tenant and day columns), one per dimension (the bucket snapshots the
 * manifest lists, with their tenant column; columns in view-columns.ts), `params(run_date)` and
 * `tenant_files(tenant, bytes)`. Only listed files are read, never a glob. A table with no file
 * yet is empty, with its columns.
 */
export async function createViews(connection: DuckDBConnection, options: ViewOptions): Promise<CacheRefresh> {
  const { warehouse } = options;
  // The log and the snapshots: the runner's copy, brought up to date with the files the
  // manifest lists (warehouse-cache.ts). Read once, before the jobs, for all of them: a view
  // over the Parquet files read by each job when it runs made a run fail when an export
  // rewrote a bucket for an erasure or a merge meanwhile, since that export deletes the
  // replaced files at once.
  const refresh = await refreshCache(connection, warehouse, options.union?.folders);
  const { union } = options;
  if (union) {
    await connection.run("CREATE OR REPLACE TEMP TABLE union_owners (host VARCHAR, tenant VARCHAR)");
    const appender = await connection.createAppender("union_owners", "main", "temp");
    for (const owner of union.owners) {
      appender.appendVarchar(owner.host);
      appender.appendVarchar(owner.tenant);
      appender.endRow();
    }
    appender.closeSync();
  }
  // In a union, a row counts only from its workspace's owner's folder (`hosts/<owner>/…`).
  const owned = union
    ? " c WHERE EXISTS (SELECT 1 FROM union_owners o WHERE o.tenant = c.tenant AND o.host = split_part(c.file, '/', 2))"
    : "";
  for (const name of VIEW_TABLES)
    await connection.run(
      `CREATE OR REPLACE TEMP VIEW ${ident(name)} AS SELECT ${cachedColumns(name).map(ident).join(", ")} FROM ${cacheTable(name)}${owned}`,
    );
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.runDate)) throw new Error(`bad run date ${options.runDate}`);
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW params AS SELECT DATE ${literal(options.runDate)} AS run_date`,
  );
  await connection.run("CREATE OR REPLACE TEMP TABLE tenant_files (tenant VARCHAR, bytes BIGINT)");
  if (options.tenantFiles.length > 0) {
    const appender = await connection.createAppender("tenant_files", "main", "temp");
    for (const file of options.tenantFiles) {
      appender.appendVarchar(file.tenant);
      appender.appendBigInt(BigInt(Math.round(file.bytes)));
      appender.endRow();
    }
    appender.closeSync();
  }
  return refresh;
}
