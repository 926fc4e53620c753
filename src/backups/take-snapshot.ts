import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { RunOptions, WorkerPool } from "../workers/pool.ts";
import type { SnapshotParams } from "./snapshot.worker.ts";
import type { SnapshotManifest } from "./snapshot-files.ts";

/** A snapshot may take long for a big workspace (~1 s per 100 MB here): only a hang is cut off. */
const SNAPSHOT_TIMEOUT_MS = 6 * 3600_000;

/** Takes one snapshot of `tenant` into `dir` in the worker pool (backups.snapshot), returning its manifest. */
export function takeSnapshot(
  pool: Pick<WorkerPool, "run">,
  tenant: Pick<Tenant, "id" | "slug" | "file" | "name" | "createdAt">,
  where: { dir: string; host?: string },
  options: RunOptions = {},
): Promise<SnapshotManifest> {
  const params: SnapshotParams = {
    dir: where.dir,
    name: tenant.name,
    createdAt: tenant.createdAt,
    host: where.host,
  };
  return pool.run<SnapshotManifest>(
    "backups.snapshot",
    { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params },
    { timeoutMs: SNAPSHOT_TIMEOUT_MS, ...options },
  );
}
