import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { readState, splitPartEntry } from "./export-state.ts";
import { DIMENSIONS, partFile, partitionDir, STATE_DIR, snapshotPath } from "./warehouse-layout.ts";

/** A file of the warehouse that is not as the export left it. */
export interface WarehouseProblem {
  path: string;
  problem: "missing" | "unreadable";
  detail: string;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The tenants the warehouse holds (those with a watermark). */
export function exportedTenantIds(warehouse: string): string[] {
  const dir = join(warehouse, STATE_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

/**
 * Checks every file the export recorded for `tenantIds` (default: all it holds): each
 * dimension snapshot and each interactions part must exist and read whole through DuckDB.
 * Returns the problems, each naming its file; none means the warehouse is sound.
 */
export async function checkWarehouse(
  connection: DuckDBConnection,
  warehouse: string,
  tenantIds: string[] = exportedTenantIds(warehouse),
): Promise<WarehouseProblem[]> {
  const problems: WarehouseProblem[] = [];
  for (const tenantId of tenantIds) {
    const paths = DIMENSIONS.map((d) => snapshotPath(warehouse, d.name, tenantId));
    for (const entry of readState(warehouse, tenantId).parts) {
      const { day, firstId } = splitPartEntry(entry);
      paths.push(join(partitionDir(warehouse, day, tenantId), partFile(firstId)));
    }
    for (const path of paths) {
      if (!existsSync(path)) {
        problems.push({ path, problem: "missing", detail: "recorded by the export but not found" });
        continue;
      }
      try {
        await connection.run(`SELECT * FROM read_parquet(${literal(path)}, hive_partitioning = false)`);
      } catch (error) {
        problems.push({ path, problem: "unreadable", detail: (error as Error).message.split("\n")[0] ?? "" });
      }
    }
  }
  return problems;
}
