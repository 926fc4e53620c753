import { analyticsSettings } from "../../jobs/export/analytics-settings.ts";
import { loadWarehouseKey } from "../../jobs/export/warehouse-key.ts";
import { loadConfig } from "../core/config.ts";
import { loadEmbeddedDuckdb } from "../core/embedded-duckdb.ts";
import { analyticsCluster, exportWarehouseOf, ownedTenants, recordHostExport } from "./analytics-cluster.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";
import { openExistingCatalog } from "./open-data.ts";
import { ProgressLine } from "./progress-line.ts";

const count = (n: number) => Math.round(n).toLocaleString("en-US");

export const analyticsExport: Command = {
  name: "analytics export",
  summary: "write every workspace's new interactions and a snapshot of its records to the Parquet warehouse",
  help: `Usage: crm analytics export [--rebuild <slug>|all] [--warehouse DIR] [--data DIR]

Exports, for each workspace of the catalog, the interactions logged since its last export and
a fresh snapshot of its contacts, companies, deals, stages, pipelines and users, as Parquet
files in 64 tenant buckets listed by _state/manifest.json (README "Analytics: the
warehouse"). Each workspace's file is read only, never migrated: one at an older schema is
skipped with a message (crm migrate first). Emails become keyed hashes; names, phones and free
text are left out. Safe to stop at any moment: the next run ends with the same warehouse as an
uninterrupted one. A bucket whose files are gone or changed (damaged) is rebuilt by itself.

  --rebuild <slug>|all  export that workspace's bucket (or every one) again from the
                   workspaces' files, as on a first export, whatever the warehouse holds
  --warehouse DIR  where the warehouse is (default: $CRM_WAREHOUSE_DIR or <data dir>/warehouse);
                   on a host of a cluster (the placement file exists) the warehouse all hosts
                   share: this host writes only hosts/<CRM_HOST_NAME>/ in it, and only the
                   workspaces placement gives it (README "Analytics across hosts")
${DATA_HELP}

Settings: CRM_WAREHOUSE_KEY (hex; default: the key file <data dir>/warehouse.key, made on the
first export), CRM_ANALYTICS_MEMORY (DuckDB's memory limit, default 1GB), CRM_ANALYTICS_THREADS.
A progress bar on a terminal; one summary line on stdout at the end.`,
  options: { warehouse: { type: "string" }, rebuild: { type: "string" } },
  async run(values) {
    const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
    // First: a directory with no catalog (a mistyped --data) gets no key file and no warehouse.
    const catalog = openExistingCatalog(config.dataDir);
    const settings = analyticsSettings(process.env, config.dataDir, values.warehouse as string | undefined);
    const cluster = analyticsCluster(config);
    const warehouse = exportWarehouseOf(cluster, settings.warehouse);
    const key = loadWarehouseKey(config.dataDir, settings.warehouse, process.env);
    let tenants: ReturnType<typeof catalog.list>;
    try {
      tenants = cluster ? ownedTenants(cluster, catalog.list()) : catalog.list();
    } finally {
      catalog.close();
    }
    const skipped = new Map<string, string>();
    const rebuildFlag = values.rebuild as string | undefined;
    let rebuild: "all" | Set<string> | undefined;
    if (rebuildFlag === "all") rebuild = "all";
    else if (rebuildFlag !== undefined) {
      const tenant = tenants.find((t) => t.slug === rebuildFlag);
      if (!tenant) throw new UsageError(`--rebuild: no workspace "${rebuildFlag}" (a slug, or all)`);
      rebuild = new Set([tenant.id]);
    }
    const tty = process.stderr.isTTY;
    const progress = tty ? new ProgressLine("analytics export: read", "workspaces") : undefined;
    let files: ProgressLine | undefined;
    // Loaded here, not at the top: `crm serve` shares this entry point and never loads DuckDB (invariant 6).
    loadEmbeddedDuckdb();
    const { exportWarehouse } = await import("../../jobs/export/export-warehouse.ts");
    const summary = await exportWarehouse({
      dataDir: config.dataDir,
      warehouse,
      tenants,
      key,
      memory: settings.memory,
      threads: settings.threads,
      onTenant: (done, total) => progress?.update(done, total, done === total),
      onFiles: (done, total) => {
        if (!tty) return;
        files ??= new ProgressLine("analytics export: write", "files");
        files.update(done, total, done === total);
      },
      ...(rebuild ? { rebuild } : {}),
      onDamaged: (tenant, paths) =>
        process.stderr.write(
          `${progress ? "\n" : ""}repairing ${tenant.slug}: ${paths.length} damaged or missing file(s), e.g. ${paths[0]}\n`,
        ),
      onSkip: (tenant, reason) => {
        skipped.set(tenant.id, reason);
        process.stderr.write(`${progress ? "\n" : ""}skipped ${tenant.slug}: ${reason}\n`);
      },
      onInvalidManifest: (path, reason) =>
        process.stderr.write(
          `${progress ? "\n" : ""}damaged manifest ${path} (${reason}): rebuilding the warehouse from the workspaces' files\n`,
        ),
      onBucketKept: (bucket, unreadable) =>
        process.stderr.write(
          `${progress ? "\n" : ""}bucket ${bucket} kept as it was (not rebuilt): ${unreadable.map((t) => t.slug).join(", ")} cannot be read now; the next export that can read it rebuilds it\n`,
        ),
    });
    if (cluster) recordHostExport(cluster, settings.warehouse, config.dataDir, tenants, skipped);
    const seconds = summary.ms / 1000;
    const line =
      `exported ${count(summary.rows)} rows of ${count(summary.tenants)} workspaces` +
      `${summary.skipped ? ` (${summary.skipped} skipped)` : ""}${summary.rebuilt ? ` (${summary.rebuilt} rebuilt)` : ""}` +
      `${summary.repaired ? ` (rebuilt ${summary.repaired}: damaged or missing files)` : ""}` +
      `${summary.forced ? ` (rebuilt ${summary.forced}: asked)` : ""}` +
      ` to ${warehouse} in ${seconds.toFixed(1)} s (${count(summary.rows / Math.max(seconds, 0.001))} rows/s)`;
    if (progress) (files ?? progress).finish(line);
    else console.log(line);
    return 0;
  },
};
