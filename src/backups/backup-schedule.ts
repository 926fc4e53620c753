import { join } from "node:path";
import type { ClusterMember } from "../cluster/cluster-member.ts";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import type { WorkerPool } from "../workers/pool.ts";
import { BackupScheduler } from "./backup-scheduler.ts";

/** In the data directory: when this host's last round of snapshots started. */
const LAST_ROUND_FILE = "backup-last-round";

/**
 * The server's backup schedule from its settings (CRM_BACKUP_*), or none when it is off. It
 * backs up the workspaces of this host's catalog that are active and not marked failed; in a
 * cluster, only those the placement gives this host (a moved workspace's old copy is the new
 * host's to back up).
 */
export function backupSchedulerFor(
  config: Config,
  catalog: Pick<Catalog, "list">,
  pool: Pick<WorkerPool, "run">,
  logger: Logger,
  cluster: Pick<ClusterMember, "owns"> | undefined,
): BackupScheduler | undefined {
  const { everyHours, dir, keepDays, keepMin } = config.backups;
  if (everyHours === null || !dir) return undefined;
  const owned = (slug: string) => cluster?.owns(slug) ?? true;
  return new BackupScheduler({
    dir,
    lastRoundFile: join(config.dataDir, LAST_ROUND_FILE),
    everyHours,
    keepDays,
    keepMin,
    pool,
    logger,
    host: config.hostName,
    tenants: () => catalog.list().filter((t) => t.status === "active" && !t.failure && owned(t.slug)),
  });
}
