import { existsSync } from "node:fs";
import { join } from "node:path";
import { ownerOf } from "../cluster/placement.ts";
import { PlacementWatch } from "../cluster/placement-file.ts";
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
): BackupScheduler | undefined {
  const { everyHours, dir, keepDays, keepMin } = config.backups;
  if (everyHours === null || !dir) return undefined;
  const clusterFile = config.clusterFile;
  let placement: PlacementWatch | undefined;
  const owned = (slug: string) => {
    if (!clusterFile || !config.hostName || !existsSync(clusterFile)) return true;
    placement ??= new PlacementWatch(clusterFile, (message) => logger.warn(message));
    return ownerOf(placement.current(), slug)?.name === config.hostName;
  };
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
