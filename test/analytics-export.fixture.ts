/**
 * What the analytics export tests share: workspaces seeded with a fixed seed and anchor, the
 * real `crm analytics export` run as a subprocess, and a warehouse read back whole through DuckDB.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
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

/**
 * The warehouse as data: each file's path and its rows in order (`workspace.exported_at`, the
 * moment of the export, left out). Two warehouses with equal contents are the same warehouse.
 */
export async function warehouseContents(warehouse: string): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const file of parquetFiles(warehouse)) {
    const path = join(warehouse, file);
    const columns = file.startsWith("workspace/") ? "time_zone" : "*";
    const rows = await query(
      `SELECT ${columns} FROM read_parquet(${literal(path)}, hive_partitioning = false) ORDER BY ALL`,
    );
    contents.set(file, JSON.stringify(rows));
  }
  return contents;
}

/** The interactions of the warehouse, with their day and tenant from the path. */
export function interactionsGlob(warehouse: string): string {
  return `read_parquet(${literal(join(warehouse, "interactions/*/*/*.parquet"))}, hive_partitioning = true, hive_types = {'day': VARCHAR, 'tenant': VARCHAR})`;
}

export function dimensionGlob(warehouse: string, name: string): string {
  return `read_parquet(${literal(join(warehouse, name, "*/*.parquet"))}, hive_partitioning = true, hive_types = {'tenant': VARCHAR})`;
}
