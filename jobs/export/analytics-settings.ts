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
  /** Threads writing results back into the workspaces' files: `CRM_ANALYTICS_WRITERS` (default 2; 0: the run's own thread). */
  writers: number;
}

const MEMORY = /^(\d{1,6}(?:\.\d{1,3})?)\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
const UNITS: Record<string, number> = {
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};
/** DuckDB needs some room to work at all; past this a limit means nothing. */
const MIN_MEMORY = 64e6;
const MAX_MEMORY = 1024e12;

/** `512MB`, `2GB`, `1.5TiB` in bytes; undefined when it is not such a size. */
export function memoryBytes(value: string): number | undefined {
  const match = MEMORY.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] as number);
}

/** The analytics settings of the environment (README "Analytics: the warehouse"); a bad value is a ConfigError naming it. */
export function analyticsSettings(env: Env, dataDir: string, warehouseFlag?: string): AnalyticsSettings {
  const memory = env.CRM_ANALYTICS_MEMORY || "1GB";
  const bytes = memoryBytes(memory);
  if (bytes === undefined || bytes < MIN_MEMORY || bytes > MAX_MEMORY)
    throw new ConfigError(
      `CRM_ANALYTICS_MEMORY must be a size such as 512MB or 2GB (64MB to 1024TB), got "${memory}"`,
    );
  const rawThreads = env.CRM_ANALYTICS_THREADS;
  const threads = rawThreads ? Number(rawThreads) : availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 1024)
    throw new ConfigError(`CRM_ANALYTICS_THREADS must be an integer from 1 to 1024, got "${rawThreads}"`);
  const rawWriters = env.CRM_ANALYTICS_WRITERS;
  const writers = rawWriters ? Number(rawWriters) : 2;
  if (!Number.isSafeInteger(writers) || writers < 0 || writers > 64)
    throw new ConfigError(`CRM_ANALYTICS_WRITERS must be an integer from 0 to 64, got "${rawWriters}"`);
  const warehouse = resolve(warehouseFlag || env.CRM_WAREHOUSE_DIR || join(dataDir, "warehouse"));
  return { warehouse, memory, threads, writers };
}
