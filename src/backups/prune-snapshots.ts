import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { listSnapshots, type SnapshotRef } from "./snapshot-files.ts";

export interface RetentionOptions {
  /** Snapshots taken longer ago than this are deleted… */
  keepDays: number;
  /** …except the newest this many of each workspace, however old (a host that stopped taking them keeps its last ones). */
  keepMin: number;
  now?: number;
}

/** What a crash can leave in a workspace's folder: files being written, a manifest whose snapshot never got its name. */
const DEBRIS_AGE_MS = 24 * 3600_000;

/**
 * Deletes a workspace's snapshots past the retention (`CRM_BACKUP_KEEP_DAYS`, but never its
 * newest `CRM_BACKUP_KEEP_MIN`), each snapshot before its manifest, and debris older than a
 * day. Returns the snapshots deleted. Only names this program writes are ever touched.
 */
export function pruneSnapshots(dir: string, slug: string, options: RetentionOptions): SnapshotRef[] {
  const now = options.now ?? Date.now();
  const cutoff = now - options.keepDays * 86_400_000;
  const snapshots = listSnapshots(dir, slug).reverse();
  const deleted = snapshots.slice(options.keepMin).filter((ref) => ref.takenAt < cutoff);
  for (const ref of deleted) {
    rmSync(ref.path, { force: true });
    rmSync(ref.manifestPath, { force: true });
  }
  const folder = join(dir, slug);
  if (!existsSync(folder)) return deleted;
  const kept = new Set(snapshots.filter((ref) => !deleted.includes(ref)).map((ref) => `${ref.stamp}.json`));
  for (const name of readdirSync(folder)) {
    const debris = name.endsWith(".part") || (name.endsWith(".json") && !kept.has(name));
    const path = join(folder, name);
    if (debris && now - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now) > DEBRIS_AGE_MS)
      rmSync(path, { force: true });
  }
  return deleted;
}
