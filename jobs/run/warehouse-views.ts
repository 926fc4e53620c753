import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { exportedTenantIds } from "../export/check-warehouse.ts";
import { readState, splitPartEntry } from "../export/export-state.ts";
import { partFile, partitionDir, snapshotPath } from "../export/warehouse-layout.ts";
import { type CacheRefresh, refreshInteractions } from "./interactions-cache.ts";

/** The views the jobs read (issue 9's contract): each column and its type, after `tenant`. */
export const VIEW_COLUMNS: Record<string, [string, string][]> = {
  interactions: [
    ["day", "DATE"],
    ["id", "BIGINT"],
    ["occurred_at", "TIMESTAMP"],
    ["actor_type", "VARCHAR"],
    ["actor_id", "BIGINT"],
    ["kind", "VARCHAR"],
    ["subject_type", "VARCHAR"],
    ["subject_id", "BIGINT"],
    ["stage_from", "BIGINT"],
    ["stage_to", "BIGINT"],
  ],
  contacts: [
    ["id", "BIGINT"],
    ["company_id", "BIGINT"],
    ["owner_id", "BIGINT"],
    ["email_hash", "VARCHAR"],
    ["created_at", "TIMESTAMP"],
    ["updated_at", "TIMESTAMP"],
  ],
  companies: [
    ["id", "BIGINT"],
    ["owner_id", "BIGINT"],
    ["created_at", "TIMESTAMP"],
    ["updated_at", "TIMESTAMP"],
  ],
  deals: [
    ["id", "BIGINT"],
    ["pipeline_id", "BIGINT"],
    ["stage_id", "BIGINT"],
    ["company_id", "BIGINT"],
    ["owner_id", "BIGINT"],
    ["status", "VARCHAR"],
    ["amount_cents", "BIGINT"],
    ["currency", "VARCHAR"],
    ["created_at", "TIMESTAMP"],
    ["closed_at", "TIMESTAMP"],
    ["stage_entered_at", "TIMESTAMP"],
  ],
  deal_contacts: [
    ["deal_id", "BIGINT"],
    ["contact_id", "BIGINT"],
  ],
  stages: [
    ["id", "BIGINT"],
    ["pipeline_id", "BIGINT"],
    ["name", "VARCHAR"],
    ["position", "INTEGER"],
    ["kind", "VARCHAR"],
    ["probability", "INTEGER"],
  ],
  pipelines: [
    ["id", "BIGINT"],
    ["name", "VARCHAR"],
    ["position", "INTEGER"],
  ],
  users: [
    ["id", "BIGINT"],
    ["role", "VARCHAR"],
    ["created_at", "TIMESTAMP"],
  ],
  workspace: [
    ["time_zone", "VARCHAR"],
    ["exported_at", "TIMESTAMP"],
  ],
};

export const DIMENSION_VIEWS = Object.keys(VIEW_COLUMNS).filter((name) => name !== "interactions");

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
 * The files the export recorded for its tenants (each dimension snapshot, each interactions
 * part in the tenant's state) that are not there: a partition lost or removed since. The
 * export rewrites snapshots on each run but never a part below its watermark, so a missing
 * part would otherwise go unnoticed and its interactions silently uncounted.
 */
export function missingFiles(warehouse: string): string[] {
  const missing: string[] = [];
  for (const tenantId of exportedTenantIds(warehouse)) {
    for (const view of DIMENSION_VIEWS) {
      const path = snapshotPath(warehouse, view, tenantId);
      if (!existsSync(path)) missing.push(path);
    }
    for (const entry of readState(warehouse, tenantId).parts) {
      const { day, firstId } = splitPartEntry(entry);
      const path = join(partitionDir(warehouse, day, tenantId), partFile(firstId));
      if (!existsSync(path)) missing.push(path);
    }
  }
  return missing;
}

function hasFiles(dir: string, depth: number): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    if (depth === 0 && entry.isFile() && entry.name.endsWith(".parquet")) return true;
    if (depth > 0 && entry.isDirectory() && hasFiles(join(dir, entry.name), depth - 1)) return true;
  }
  return false;
}

function emptyView(name: string): string {
  const columns = [["tenant", "VARCHAR"], ...(VIEW_COLUMNS[name] ?? [])]
    .map(([column, type]) => `CAST(NULL AS ${type}) AS ${ident(column as string)}`)
    .join(", ");
  return `CREATE OR REPLACE TEMP VIEW ${ident(name)} AS SELECT ${columns} WHERE false`;
}

export interface ViewOptions {
  warehouse: string;
  /** YYYY-MM-DD: the `params` view's run_date. */
  runDate: string;
  /** The size of each tenant's file (the `tenant_files` view the usage job reads). */
  tenantFiles: { tenant: string; bytes: number }[];
}

/**
 * Creates the jobs' views (temporary: the database file keeps only the log's copy):
 * `interactions` (day and tenant from the path), one per dimension snapshot (tenant from the
 * path), `params(run_date)` and `tenant_files(tenant, bytes)`. A view whose files do not exist
 * yet is empty, with its columns.
 */
export async function createViews(connection: DuckDBConnection, options: ViewOptions): Promise<CacheRefresh> {
  const { warehouse } = options;
  // The log: the runner's copy, brought up to date with the new part files (interactions-cache.ts).
  const refresh = await refreshInteractions(connection, warehouse);
  await connection.run("CREATE OR REPLACE TEMP VIEW interactions AS SELECT * FROM interactions_cache");
  for (const name of DIMENSION_VIEWS) {
    const columns = VIEW_COLUMNS[name] ?? [];
    const root = join(warehouse, name);
    if (!hasFiles(root, 1)) {
      await connection.run(emptyView(name));
      continue;
    }
    const glob = join(root, "tenant=*", "snapshot.parquet");
    const select = ["tenant", ...columns.map(([column]) => column)].map(ident).join(", ");
    // Read once for all the jobs (a snapshot file per workspace, each read by several jobs).
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${ident(name)} AS SELECT ${select} FROM read_parquet(${literal(glob)}, hive_partitioning = true, hive_types = {'tenant': VARCHAR})`,
    );
  }
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
