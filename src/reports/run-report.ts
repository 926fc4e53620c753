import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { TaskName } from "../workers/tasks.ts";
import type { ReportFilters } from "./report-filters.ts";
import type { ReportFigures, ReportName, ReportParams } from "./report-types.ts";
import { localDay } from "./zone-calendar.ts";

/** Each report's task in the pool (src/workers/tasks.ts). */
const TASK: Record<ReportName, TaskName> = {
  pipeline: "reports.pipeline",
  "win-rate": "reports.win-rate",
  activity: "reports.activity",
  "new-contacts": "reports.new-contacts",
  closing: "reports.closing",
};

/** Reports cached per open workspace file (each entry is a few KB of figures). */
const CACHED_REPORTS = 64;

/**
 * Exactly what a report depends on, so that its cache key holds nothing else: the pipeline is
 * a snapshot (only the owner counts), deals closing depend on the viewer's today, the others
 * on the range and the zone.
 */
export function reportParams<N extends ReportName>(
  name: N,
  filters: ReportFilters,
  now: number,
): ReportParams[N] {
  const owner = { ownerId: filters.ownerId };
  if (name === "pipeline") return owner as ReportParams[N];
  if (name === "closing") return { ...owner, today: localDay(now, filters.zone) } as ReportParams[N];
  return { ...owner, from: filters.from, to: filters.to, zone: filters.zone } as ReportParams[N];
}

interface Entry {
  version: string;
  value: unknown;
}

/**
 * A report's figures, computed in the pool (the task reads the workspace's file itself) and
 * cached against the workspace's version, keyed by the report and its parameters: any write,
 * by any process, makes the next request compute them again (invariant 9). The version is
 * read before the task starts, so figures computed while a write lands are filed under the
 * version before it and never served after it.
 */
export async function runReport<N extends ReportName>(
  pool: WorkerPool,
  shard: Shard,
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  name: N,
  params: ReportParams[N],
  signal?: AbortSignal,
): Promise<ReportFigures[N]> {
  const cache = shard.cached("cache:reports", () => new Map<string, Entry>());
  const key = JSON.stringify([name, params]);
  const version = shard.version();
  const hit = cache.get(key);
  if (hit && hit.version === version) {
    cache.delete(key);
    cache.set(key, hit);
    return hit.value as ReportFigures[N];
  }
  const value = await pool.run<ReportFigures[N]>(
    TASK[name],
    { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params },
    { signal },
  );
  cache.delete(key);
  if (cache.size >= CACHED_REPORTS) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, { version, value });
  return value;
}
