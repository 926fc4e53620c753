import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { listedFiles, readManifest } from "../export/manifest.ts";
import { CACHE_COLUMNS, type CacheRefresh, refreshInteractions } from "./interactions-cache.ts";

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
 * The files the manifest lists that are not there: a file lost or removed since the export
 * wrote it, whose rows would otherwise go silently uncounted.
 */
export function missingFiles(warehouse: string): string[] {
  const manifest = readManifest(warehouse);
  if (!manifest) return [];
  return Object.keys(manifest.files)
    .sort()
    .map((file) => join(warehouse, file))
    .filter((path) => !existsSync(path));
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
 * `interactions` (with its tenant and day columns), one per dimension (the bucket snapshots the
 * manifest lists, with their tenant column), `params(run_date)` and `tenant_files(tenant, bytes)`.
 * Only listed files are read, never a glob. A view with no file yet is empty, with its columns.
 */
export async function createViews(connection: DuckDBConnection, options: ViewOptions): Promise<CacheRefresh> {
  const { warehouse } = options;
  // The log: the runner's copy, brought up to date with the new part files (interactions-cache.ts).
  const refresh = await refreshInteractions(connection, warehouse);
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW interactions AS SELECT ${CACHE_COLUMNS.map(ident).join(", ")} FROM interactions_cache`,
  );
  const manifest = readManifest(warehouse);
  for (const name of DIMENSION_VIEWS) {
    const columns = VIEW_COLUMNS[name] ?? [];
    const files = manifest ? listedFiles(manifest, name) : [];
    if (files.length === 0) {
      await connection.run(emptyView(name));
      continue;
    }
    const paths = files.map((file) => literal(join(warehouse, file))).join(", ");
    const select = ["tenant", ...columns.map(([column]) => column)].map(ident).join(", ");
    // Read once, before the jobs, for all of them: a view read by each job when it runs (only
    // the columns it uses, which was faster) made a run fail when an export rewrote a bucket for
    // an erasure or a merge meanwhile, since that export deletes the replaced files at once.
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${ident(name)} AS SELECT ${select} FROM read_parquet([${paths}], hive_partitioning = false)`,
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
