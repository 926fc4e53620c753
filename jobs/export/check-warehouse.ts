import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { type Manifest, readManifest, TABLES, tenantFiles } from "./manifest.ts";

/** A file of the warehouse that is not as the export left it. */
export interface WarehouseProblem {
  path: string;
  problem: "missing" | "unreadable";
  detail: string;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The tenants the warehouse holds (those its manifest has a watermark of). */
export function exportedTenantIds(warehouse: string): string[] {
  return Object.keys(readManifest(warehouse)?.tenants ?? {}).sort();
}

/** The listed files (absolute paths) holding the tenants' rows: their buckets' files of every table. */
export function filesOfTenants(warehouse: string, manifest: Manifest, tenantIds: string[]): string[] {
  const files = new Set<string>();
  for (const tenantId of tenantIds)
    for (const table of TABLES) for (const file of tenantFiles(manifest, table, tenantId)) files.add(file);
  return [...files].sort().map((file) => join(warehouse, file));
}

/**
 * Checks every file the manifest lists for `tenantIds` (default: all it holds): each file of
 * their buckets must exist and read whole through DuckDB. Returns the problems, each naming
 * its file; none means the warehouse is sound.
 */
export async function checkWarehouse(
  connection: DuckDBConnection,
  warehouse: string,
  tenantIds: string[] = exportedTenantIds(warehouse),
): Promise<WarehouseProblem[]> {
  const problems: WarehouseProblem[] = [];
  const manifest = readManifest(warehouse);
  if (!manifest) return problems;
  for (const path of filesOfTenants(warehouse, manifest, tenantIds)) {
    if (!existsSync(path)) {
      problems.push({ path, problem: "missing", detail: "listed by the manifest but not found" });
      continue;
    }
    try {
      await connection.run(`SELECT * FROM read_parquet(${literal(path)}, hive_partitioning = false)`);
    } catch (error) {
      problems.push({ path, problem: "unreadable", detail: (error as Error).message.split("\n")[0] ?? "" });
    }
  }
  return problems;
}
