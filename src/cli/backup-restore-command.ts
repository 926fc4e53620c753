import { existsSync } from "node:fs";
import { join } from "node:path";
import { RestoreRefusedError, restoreSnapshot } from "../backups/restore-snapshot.ts";
import { listSnapshots, type SnapshotRef } from "../backups/snapshot-files.ts";
import { BadSnapshotError } from "../backups/verify-snapshot.ts";
import { ownerOf } from "../cluster/placement.ts";
import { readPlacement } from "../cluster/placement-file.ts";
import type { Config } from "../core/config.ts";
import { backupDir, snapshotsOf } from "./backup-dir.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";
import { openData } from "./open-data.ts";

/** --at: an ISO 8601 time (a date alone is its midnight UTC); none: now. */
function atFlag(values: Record<string, unknown>): number {
  const raw = values.at;
  if (raw === undefined) return Number.POSITIVE_INFINITY;
  const at = typeof raw === "string" && /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(at))
    throw new UsageError(`--at must be an ISO time like 2026-12-03T09:30:00Z, got "${String(raw)}"`);
  return at;
}

/** The newest snapshot taken at or before `at`. */
function pick(dir: string, slug: string, at: number): SnapshotRef {
  snapshotsOf(dir, [slug]);
  const all = listSnapshots(dir, slug);
  const chosen = all.filter((ref) => ref.takenAt <= at).at(-1);
  if (!chosen)
    throw new UsageError(
      `no snapshot of "${slug}" taken at or before ${new Date(at).toISOString()} (the oldest is from ${new Date(all[0]?.takenAt ?? 0).toISOString()})`,
    );
  return chosen;
}

/** In a cluster, what the operator must still do for the placement to send the workspace here. */
function placementHint(config: Config, slug: string): string | undefined {
  if (!config.clusterFile || !existsSync(config.clusterFile)) return undefined;
  const owner = ownerOf(readPlacement(config.clusterFile), slug)?.name;
  if (owner && owner === config.hostName) return undefined;
  // Without CRM_HOST_NAME this command cannot tell which host it runs on: the owner may be this
  // very host, so it must not tell the operator to pin the workspace "here" as if it were not.
  if (!config.hostName)
    return `the placement gives "${slug}" to ${owner ?? "no host"}; CRM_HOST_NAME is not set, so this command cannot tell whether that is this host: if it is not, run crm cluster place ${slug} <this host's name> and reload nginx`;
  return `the placement gives "${slug}" to ${owner ?? "no host"}: run crm cluster place ${slug} ${config.hostName} and reload nginx`;
}

export const backupRestore: Command = {
  name: "backup restore",
  summary: "install a workspace's snapshot on this host (after its host was lost, or to go back in time)",
  help: `Usage: crm backup restore <slug> [--at TIME] [--from DIR] [--force] [--data DIR]

Picks the newest snapshot of <slug> taken at or before TIME (default: the newest), verifies it
through and through (as crm backup verify) while decompressing it beside the workspaces' files,
and installs it on this host:
- a workspace this host does not have (its host was lost) is registered with the snapshot's
  id, slug and name and served at once;
- a workspace this host has is replaced only with --force; a running server serves the
  snapshot from its next request (it opens the new file, closes the old one cleanly). The old
  file is kept, never overwritten: delete it once you are satisfied (its name is printed).
Prints the recovery point (the snapshot's time: writes acknowledged after it are not in it)
and the row counts. A bad snapshot (checksum, damaged manifest, integrity): exit 1; bad input
(unknown slug, no snapshot before TIME, an existing workspace without --force, a slug that is
another workspace here): exit 2. Either way nothing is written.

  --at TIME        ISO 8601, e.g. 2026-12-03T09:30:00Z (a date alone: its midnight UTC)
  --from DIR       the backup directory to restore from (default: $CRM_BACKUP_DIR or <data>/backups)
  --force          replace the data of a workspace this host has
${DATA_HELP}`,
  options: { at: { type: "string" }, from: { type: "string" }, force: { type: "boolean" } },
  positionals: 1,
  async run(values, [slug]) {
    const at = atFlag(values);
    const ref = pick(backupDir(values, "from"), slug ?? "", at);
    const data = openData(values);
    try {
      const result = await restoreSnapshot(data.catalog, ref, { force: values.force === true });
      const { manifest, facts, tenant } = result;
      console.log(
        `restored ${tenant.slug} (${tenant.id}, "${tenant.name}") from ${ref.path}${result.registered ? ", registered on this host" : ""}`,
      );
      console.log(
        `recovery point: ${manifest.takenAt} (taken on ${manifest.host}; writes after it are not in it)`,
      );
      const main = ["contacts", "companies", "deals", "interactions", "users"];
      console.log(
        `rows: ${main.map((t) => `${(facts.rows[t] ?? 0).toLocaleString("en-US")} ${t}`).join(", ")}`,
      );
      console.log(`file: ${join(data.config.dataDir, tenant.file)}`);
      if (result.replacedFile)
        console.log(
          `the file it replaced stays at ${join(data.config.dataDir, result.replacedFile)}: delete it (and its -wal, -shm) once satisfied`,
        );
      const hint = placementHint(data.config, tenant.slug);
      if (hint) console.log(hint);
      return 0;
    } catch (error) {
      if (error instanceof RestoreRefusedError) throw new UsageError(error.message);
      if (error instanceof BadSnapshotError) {
        console.error(`crm backup restore: ${error.message}; nothing was restored (an older one: --at)`);
        return 1;
      }
      throw error;
    } finally {
      data.close();
    }
  },
};
