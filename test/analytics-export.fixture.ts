/**
 * What the analytics export tests share: workspaces seeded with a fixed seed and anchor, the
 * real `crm analytics export` run as a subprocess, and a warehouse read back whole through DuckDB.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { listedFiles, readManifest } from "../jobs/export/manifest.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { FAST_HASHING } from "./support/server.ts";
import { DataDir } from "./support/workspace.ts";

export const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
/** Seeds are anchored here, not to today: the same data whatever the day the tests run. */
export const ANCHOR = Date.UTC(2026, 0, 15);
export const DIMENSION_NAMES = [
  "contacts",
  "companies",
  "deals",
  "deal_contacts",
  "stages",
  "pipelines",
  "users",
  "workspace",
];

/** Creates the workspaces and seeds each with `contacts` people and their history. */
export async function seedWorkspaces(dir: string, workspaces: { slug: string; contacts: number }[]) {
  const data = new DataDir(dir);
  try {
    for (const [i, w] of workspaces.entries()) {
      const tenant = await data.tenant(w.slug);
      await data.shards.use(tenant, (shard) =>
        seedTenant(shard, { contacts: w.contacts, seed: i + 1, anchorMs: ANCHOR, interactionsPerContact: 8 }),
      );
    }
  } finally {
    data.close();
  }
}

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

export async function crm(
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], {
    env: { ...process.env, ...FAST_HASHING, CRM_DATA: dataDir, CRM_ANALYTICS_THREADS: "1", ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** Every Parquet file of the warehouse (not the export's own `_state`/`_staging`), relative to it. */
export function parquetFiles(warehouse: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith("_")) walk(path);
      } else files.push(relative(warehouse, path));
    }
  };
  if (existsSync(warehouse)) walk(warehouse);
  return files.sort();
}

let duck: Awaited<ReturnType<DuckDBInstance["connect"]>> | undefined;

export async function duckdb() {
  duck ??= await (await DuckDBInstance.create(":memory:", { threads: "1" })).connect();
  return duck;
}

/** Rows of a query, as JSON values (BIGINT as strings). */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const result = await (await duckdb()).runAndReadAll(sql);
  return result.getRowObjectsJson() as Record<string, unknown>[];
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The files the warehouse's manifest lists (relative to it), of one table or all, in name order. */
export function listed(warehouse: string, table?: string): string[] {
  const manifest = readManifest(warehouse);
  if (!manifest) return [];
  return table ? listedFiles(manifest, table) : Object.keys(manifest.files).sort();
}

/**
 * The warehouse as data: per table and tenant (`contacts/<tenant id>`), its rows in order, read
 * from the files the manifest lists (`workspace.exported_at`, the moment of the export, left
 * out). Two warehouses with equal contents are the same warehouse, whatever their files' names.
 */
export async function warehouseContents(warehouse: string): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const table of ["interactions", ...DIMENSION_NAMES]) {
    const files = listed(warehouse, table);
    if (files.length === 0) continue;
    const columns = table === "workspace" ? "tenant, time_zone" : "*";
    const rows = await query(
      `SELECT ${columns} FROM read_parquet([${files.map((f) => literal(join(warehouse, f))).join(", ")}], hive_partitioning = false) ORDER BY ALL`,
    );
    const byTenant = new Map<string, unknown[]>();
    for (const row of rows) {
      const { tenant, ...rest } = row;
      const list = byTenant.get(String(tenant)) ?? [];
      list.push(rest);
      byTenant.set(String(tenant), list);
    }
    for (const [tenant, list] of [...byTenant].sort(([a], [b]) => (a < b ? -1 : 1)))
      contents.set(`${table}/${tenant}`, JSON.stringify(list));
  }
  return contents;
}

/** The files the manifest lists of a table, as one `read_parquet` (never a glob). */
function listedRead(warehouse: string, table: string): string {
  const files = listed(warehouse, table);
  if (files.length === 0) throw new Error(`the warehouse ${warehouse} lists no ${table} file`);
  return `read_parquet([${files.map((f) => literal(join(warehouse, f))).join(", ")}], hive_partitioning = false)`;
}

/** The interactions of the warehouse (their tenant and day columns; day as text). */
export function interactionsGlob(warehouse: string): string {
  return `(SELECT * REPLACE (CAST(day AS VARCHAR) AS day) FROM ${listedRead(warehouse, "interactions")})`;
}

export function dimensionGlob(warehouse: string, name: string): string {
  return listedRead(warehouse, name);
}

/**
 * Each listed file's rows are in the order the layout promises, as they lie in the file:
 * interactions by tenant then id, snapshots by tenant then every column.
 */
export async function filesInOrder(warehouse: string): Promise<string[]> {
  const outOfOrder: string[] = [];
  for (const file of listed(warehouse)) {
    const path = literal(join(warehouse, file));
    const order = file.startsWith("interactions/") ? "tenant, id" : "ALL";
    const inFile = `SELECT row_number() OVER () AS n, to_json(t) AS j FROM read_parquet(${path}) t`;
    const sorted = `SELECT row_number() OVER () AS n, to_json(t) AS j FROM (SELECT * FROM read_parquet(${path}) ORDER BY ${order}) t`;
    const [row] = await query(
      `SELECT (SELECT list(j ORDER BY n) FROM (${inFile})) = (SELECT list(j ORDER BY n) FROM (${sorted})) AS ok`,
    );
    if (row?.ok !== true) outOfOrder.push(file);
  }
  return outOfOrder;
}
