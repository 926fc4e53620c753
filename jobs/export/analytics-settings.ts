import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError } from "../../src/core/config.ts";

type Env = Record<string, string | undefined>;

export interface AnalyticsSettings {
  /** `--warehouse`, else `CRM_WAREHOUSE_DIR`, else `<data dir>/warehouse`. */
  warehouse: string;
  /** DuckDB's memory limit: `CRM_ANALYTICS_MEMORY` (default 1GB). */
  memory: string;
  /** DuckDB's threads: `CRM_ANALYTICS_THREADS` (default: the cores). */
  threads: number;
}

const MEMORY = /^\d{1,6}(?:\.\d{1,3})?\s?(?:KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/** The analytics settings of the environment (README "Analytics: the warehouse"); a bad value is a ConfigError naming it. */
export function analyticsSettings(env: Env, dataDir: string, warehouseFlag?: string): AnalyticsSettings {
  const memory = env.CRM_ANALYTICS_MEMORY || "1GB";
  if (!MEMORY.test(memory))
    throw new ConfigError(`CRM_ANALYTICS_MEMORY must be a size such as 512MB or 2GB, got "${memory}"`);
  const rawThreads = env.CRM_ANALYTICS_THREADS;
  const threads = rawThreads ? Number(rawThreads) : availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 1024)
    throw new ConfigError(`CRM_ANALYTICS_THREADS must be an integer from 1 to 1024, got "${rawThreads}"`);
  const warehouse = resolve(warehouseFlag || env.CRM_WAREHOUSE_DIR || join(dataDir, "warehouse"));
  return { warehouse, memory, threads };
}
