import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { rfmSummary } from "./insights.ts";

type Summary = ReturnType<typeof rfmSummary>;

/**
 * The RFM grid and segment counts, computed in the pool and cached against the workspace's
 * version (any write, by any process, makes the next request compute them again: invariant 9);
 * the version is read before the task starts, so figures computed while a write lands are never
 * served after it.
 */
export async function runRfmSummary(
  pool: WorkerPool,
  shard: Shard,
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  signal?: AbortSignal,
): Promise<Summary> {
  const cache = shard.cached("cache:rfm-summary", () => ({
    version: "",
    value: undefined as Summary | undefined,
  }));
  const version = shard.version();
  if (cache.value && cache.version === version) return cache.value;
  const value = await pool.run<Summary>(
    "analytics.rfm-summary",
    { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params: {} },
    { signal },
  );
  cache.version = version;
  cache.value = value;
  return value;
}
