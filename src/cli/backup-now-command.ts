import { pruneSnapshots } from "../backups/prune-snapshots.ts";
import { takeSnapshot } from "../backups/take-snapshot.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { WorkerPool } from "../workers/pool.ts";
import { BACKUPS_HELP, backupDir } from "./backup-dir.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";
import { openData } from "./open-data.ts";

const SIX_HOURS_MS = 6 * 3600_000;
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

export const backupNow: Command = {
  name: "backup now",
  summary: "take a compressed, checked snapshot of workspaces into the backup directory",
  help: `Usage: crm backup now <slug>… | --all [--prune] [--backups DIR] [--data DIR]

Takes one snapshot of each workspace named (or of every active workspace with --all), safe
while the server runs and writes: SQLite's VACUUM INTO reads one consistent snapshot in a
worker thread, the copy must pass integrity_check, and it is compressed with zstd. Written to
<backups>/<slug>/<UTC time>.sqlite.zst with a manifest beside it (<UTC time>.json: workspace id,
slug, name, time taken, host, sizes, SHA-256 of the compressed file, rows per table, schema
level, integrity), each as .part and then named, mode 0600, never over an existing file. The
time in the name is the recovery point: every write acknowledged before it is in the snapshot.
Everything is in it, password hashes, sessions and API keys included: keep the directory as
safe as the data directory. Exits 1 if any snapshot failed (each is named), 2 for bad input.

  <slug>…          the workspaces to back up
  --all            every active workspace of this host
  --prune          then delete snapshots past the retention (CRM_BACKUP_KEEP_DAYS, never the
                   newest CRM_BACKUP_KEEP_MIN of a workspace), as the server's schedule does
${BACKUPS_HELP}
${DATA_HELP}`,
  options: {
    all: { type: "boolean" },
    prune: { type: "boolean" },
    backups: { type: "string" },
  },
  positionals: "any",
  async run(values, slugs) {
    if (values.all && slugs.length) throw new UsageError("name workspaces or give --all, not both");
    if (!values.all && !slugs.length) throw new UsageError("name the workspaces to back up, or give --all");
    const dir = backupDir(values);
    const data = openData(values);
    const { keepDays, keepMin } = data.config.backups;
    let chosen: Tenant[];
    try {
      // Every slug is checked before the first snapshot: a typo backs up nothing.
      chosen = values.all
        ? data.catalog.list().filter((t) => t.status === "active" && !t.failure)
        : [...new Set(slugs)].map((slug) => data.tenant(slug));
      if (!chosen.length) throw new UsageError(`no active workspace in ${data.config.dataDir}`);
    } catch (error) {
      data.close();
      throw error;
    }
    // At the server's lower CPU priority (CRM_WORKER_NICE): pages come first when both run.
    const pool = new WorkerPool({
      dataDir: data.config.dataDir,
      threads: 1,
      maxQueue: 1,
      timeoutMs: SIX_HOURS_MS,
      nice: data.config.workerNice,
    });
    const failed: string[] = [];
    try {
      for (const tenant of chosen) {
        try {
          const started = performance.now();
          const m = await takeSnapshot(pool, tenant, { dir, host: data.config.hostName });
          const seconds = (performance.now() - started) / 1000;
          console.log(
            `${tenant.slug}  ${m.takenAt}  ${mb(m.bytes)} (from ${mb(m.sourceBytes)})  sha256 ${m.sha256.slice(0, 16)}…  ${seconds.toFixed(1)} s  ${dir}/${tenant.slug}/${m.file}`,
          );
          if (values.prune)
            for (const gone of pruneSnapshots(dir, tenant.slug, { keepDays, keepMin }))
              console.log(`${tenant.slug}  pruned ${gone.path}`);
        } catch (error) {
          failed.push(tenant.slug);
          console.error(`crm backup now: ${tenant.slug} was not backed up: ${(error as Error).message}`);
        }
      }
    } finally {
      await pool.close();
      data.close();
    }
    if (failed.length) console.error(`crm backup now: failed: ${failed.join(", ")}`);
    return failed.length ? 1 : 0;
  },
};
