import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { backedUpSlugs, isSlug, listSnapshots, type SnapshotRef } from "../backups/snapshot-files.ts";
import { loadConfig } from "../core/config.ts";
import { UsageError } from "./command.ts";

export const BACKUPS_HELP =
  "  --backups DIR    the backup directory (default: $CRM_BACKUP_DIR or <data>/backups)";

/** The backup directory a `crm backup …` command works in: `--<flag>`, else CRM_BACKUP_DIR, else <data>/backups. */
export function backupDir(values: Record<string, unknown>, flag = "backups"): string {
  const given = values[flag];
  if (typeof given === "string" && given !== "") return resolve(given);
  const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
  return config.backups.dir as string;
}

/**
 * The snapshots a reading command looks at: those of each slug named (each must have some:
 * a typo is refused, exit 2), or of every workspace in the directory.
 */
export function snapshotsOf(dir: string, slugs: string[]): SnapshotRef[] {
  if (!existsSync(dir)) throw new UsageError(`no backup directory ${dir} (see --backups, $CRM_BACKUP_DIR)`);
  for (const slug of slugs) {
    if (!isSlug(slug)) throw new UsageError(`"${slug}" is not a workspace's address`);
    if (listSnapshots(dir, slug).length === 0) throw new UsageError(`no snapshots of "${slug}" in ${dir}`);
  }
  return (slugs.length ? [...new Set(slugs)] : backedUpSlugs(dir)).flatMap((slug) =>
    listSnapshots(dir, slug),
  );
}
