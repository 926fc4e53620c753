import { availableParallelism } from "node:os";
import { ConfigError } from "../../src/core/config.ts";

export interface DuckDbSettings {
  /** DuckDB's memory_limit, e.g. "1GB". */
  memory: string;
  threads: number;
}

const MEMORY = /^\d{1,6}(\.\d{1,3})?\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/** CRM_ANALYTICS_MEMORY (default 1GB) and CRM_ANALYTICS_THREADS (default: the cores), checked. */
export function duckDbSettings(env: Record<string, string | undefined> = process.env): DuckDbSettings {
  const memory = env.CRM_ANALYTICS_MEMORY?.trim() || "1GB";
  if (!MEMORY.test(memory))
    throw new ConfigError(
      `CRM_ANALYTICS_MEMORY must be a size such as 512MB or 2GB, got "${env.CRM_ANALYTICS_MEMORY}"`,
    );
  const rawThreads = env.CRM_ANALYTICS_THREADS?.trim();
  const threads = rawThreads ? Number(rawThreads) : availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 1024)
    throw new ConfigError(`CRM_ANALYTICS_THREADS must be a whole number from 1 to 1024, got "${rawThreads}"`);
  return { memory: memory.replace(/\s/g, ""), threads };
}
