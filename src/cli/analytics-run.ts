import { analyticsSettings } from "../../jobs/export/analytics-settings.ts";
import { loadWarehouseKey } from "../../jobs/export/warehouse-key.ts";
import { WRITE_BUSY_TIMEOUT_MS } from "../../jobs/run/write-back.ts";
import { hostTimeZone, nightlyRunDate } from "../analytics/nightly-scheduler.ts";
import { loadConfig } from "../core/config.ts";
import { loadEmbeddedDuckdb } from "../core/embedded-duckdb.ts";
import { ANALYTICS_JOBS, type AnalyticsJob, RunInProgressError } from "../tenancy/analytics-ledger.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import { applyAndReport } from "./analytics-apply.ts";
import { analyticsCluster, exportWarehouseOf, ownedTenants, recordHostExport } from "./analytics-cluster.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";
import { openExistingCatalog } from "./open-data.ts";
import { ProgressLine } from "./progress-line.ts";

/** A job's error in one line (DuckDB adds hints on further lines; the ledger keeps them). */
const firstLine = (error: string) => error.split("\n")[0] ?? "";

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** `--date`: a real calendar day, YYYY-MM-DD; default today (UTC). */
export function runDateFlag(raw: unknown, now = Date.now()): string {
  if (raw === undefined) return new Date(now).toISOString().slice(0, 10);
  const text = String(raw);
  const match = DAY.exec(text);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== text)
    throw new UsageError(`--date must be a day as YYYY-MM-DD, got "${text}"`);
  // A day ahead of UTC is still today somewhere; later is a typo that would put a future day's
  // (empty) windows on every workspace's pages.
  if (time > now + DAY_MS)
    throw new UsageError(
      `--date must not be after today, got "${text}" (the numbers are for a day that has begun)`,
    );
  return text;
}

function jobsFlag(raw: unknown): AnalyticsJob[] {
  if (raw === undefined) return [...ANALYTICS_JOBS];
  const name = String(raw);
  const job = ANALYTICS_JOBS.find((j) => j === name);
  if (!job) throw new UsageError(`--job must be one of ${ANALYTICS_JOBS.join(", ")}; got "${name}"`);
  return [job];
}

export const analyticsRun: Command = {
  name: "analytics run",
  summary: "export the interaction logs and run the analytics jobs, writing results into each workspace",
  help: `Usage: crm analytics run [--date YYYY-MM-DD] [--job NAME] [--warehouse DIR] [--skip-export]
                         [--this-host] [--nightly] [--data DIR]

Brings the Parquet warehouse up to date, runs the jobs in jobs/*.sql with DuckDB (in this process,
never the server's), and replaces each workspace's results in one transaction per workspace. One
run at a time per host: a second one is refused (exit 2) while the first is alive. A job that
fails (a Parquet file that cannot be read: the error names it) keeps that job's previous results;
the run is then marked failed (exit 1). See crm analytics status.

  --date D         the day the numbers are for (windows end with it; default today, UTC, or
                   with --nightly yesterday in the host's time zone: the day that has just ended)
  --job NAME       run only this job: ${ANALYTICS_JOBS.join(", ")}
  --warehouse DIR  the warehouse (default: $CRM_WAREHOUSE_DIR or <data dir>/warehouse); on a host
                   of a cluster the shared one: the jobs read every host's export (refused,
                   nothing computed, when a host's is missing), each host's results go to
                   results/<host>.msgpack, and this host's are applied (crm analytics apply)
  --skip-export    run the jobs over the warehouse as it is (no export first)
  --this-host      on a host of a cluster: read only this host's export and write only its
                   workspaces (the same numbers: every job is per workspace); what --nightly
                   does in a cluster, so no host's nightly waits on another's
  --nightly        the nightly run (the server's scheduler passes it): recorded as such, and for
                   yesterday (host time) unless --date says otherwise
${DATA_HELP}

Settings: CRM_ANALYTICS_MEMORY (DuckDB's memory limit, default 1GB), CRM_ANALYTICS_THREADS
(default: the cores), CRM_WAREHOUSE_KEY (see crm analytics export).`,
  options: {
    date: { type: "string" },
    job: { type: "string" },
    warehouse: { type: "string" },
    nightly: { type: "boolean" },
    "skip-export": { type: "boolean" },
    "this-host": { type: "boolean" },
  },
  async run(values) {
    // The nightly run (the scheduler, or cron) is for the day that has just ended on the host's clock.
    const runDate =
      values.nightly && values.date === undefined
        ? nightlyRunDate(Date.now(), hostTimeZone())
        : runDateFlag(values.date);
    const jobs = jobsFlag(values.job);
    const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
    // First: a directory with no catalog (a mistyped --data) gets no key file, warehouse or ledger.
    const catalog = openExistingCatalog(config.dataDir);
    const settings = analyticsSettings(process.env, config.dataDir, values.warehouse as string | undefined);
    const { warehouse } = settings;
    const cluster = analyticsCluster(config);
    if (values["this-host"] && !cluster)
      throw new UsageError(
        `--this-host is for a host of a cluster: no placement file at ${config.clusterFile}`,
      );
    const thisHost = Boolean(values["this-host"] || values.nightly);
    const key = values["skip-export"] ? undefined : loadWarehouseKey(config.dataDir, warehouse, process.env);
    // DuckDB is loaded here only, never by `crm serve` (which imports this file's command table).
    loadEmbeddedDuckdb();
    const { runAnalytics } = await import("../../jobs/run/run-analytics.ts");
    const { exportWarehouse } = await import("../../jobs/export/export-warehouse.ts");
    const { MissingHostExportError } = await import("../../jobs/run/union-sources.ts");
    // A workspace the server holds locked is waited for briefly and retried (write-back.ts), never
    // for SQLite's default 5 s per statement: six attempts would then take half a minute.
    const shards = new ShardManager({
      dataDir: config.dataDir,
      maxOpen: 16,
      busyTimeoutMs: WRITE_BUSY_TIMEOUT_MS,
    });
    const lines = new Map<string, ProgressLine>();
    const line = (phase: string, unit: string) => {
      let progress = lines.get(phase);
      if (!progress) {
        progress = new ProgressLine(phase, unit);
        lines.set(phase, progress);
      }
      return progress;
    };
    try {
      const summary = await runAnalytics(catalog, shards, {
        dataDir: config.dataDir,
        warehouse,
        runDate,
        jobs,
        trigger: values.nightly ? "nightly" : "manual",
        settings,
        writers: settings.writers,
        exportWarehouse: key
          ? async () => {
              const skipped: { slug: string; reason: string }[] = [];
              const skippedIds = new Map<string, string>();
              const tenants = cluster ? ownedTenants(cluster, catalog.list()) : catalog.list();
              const exported = await exportWarehouse({
                dataDir: config.dataDir,
                warehouse: exportWarehouseOf(cluster, warehouse),
                tenants,
                key,
                memory: settings.memory,
                threads: settings.threads,
                onTenant: (done, total) => line("export", "workspaces").update(done, total, done === total),
                onSkip: (tenant, reason) => {
                  skipped.push({ slug: tenant.slug, reason });
                  skippedIds.set(tenant.id, reason);
                  process.stderr.write(`\nskipped ${tenant.slug}: ${reason}\n`);
                },
                onInvalidManifest: (path, reason) =>
                  process.stderr.write(
                    `\ndamaged manifest ${path} (${reason}): rebuilding the warehouse from the workspaces' files\n`,
                  ),
                onBucketKept: (bucket, unreadable) =>
                  process.stderr.write(
                    `\nbucket ${bucket} kept as it was (not rebuilt): ${unreadable.map((t) => t.slug).join(", ")} cannot be read now; the next export that can read it rebuilds it\n`,
                  ),
                onDamaged: (tenant, paths) =>
                  process.stderr.write(
                    `\nrepairing ${tenant.slug}: ${paths.length} damaged or missing file(s), e.g. ${paths[0]}\n`,
                  ),
              });
              if (cluster) {
                recordHostExport(cluster, warehouse, config.dataDir, tenants, skippedIds);
                // In a union, the union run names the skipped ones (every host's).
                return { rows: exported.rows, skipped: [] };
              }
              return { rows: exported.rows, skipped };
            }
          : undefined,
        ...(cluster
          ? {
              union: {
                runner: cluster.host,
                hosts: thisHost ? [cluster.host] : cluster.hosts,
                ownerOf: cluster.ownerOf,
              },
            }
          : {}),
        onProgress: (p) => {
          const progress = line(p.phase, p.phase === "write-back" ? "workspaces" : "jobs");
          progress.update(p.done, p.total, p.done === p.total || p.done === 0);
        },
      });
      if (process.stderr.isTTY) for (const [phase, progress] of lines) progress.finish(`${phase}: done`);
      const { run } = summary;
      for (const job of jobs) {
        const outcome = run.jobs[job];
        if (!outcome) continue;
        const figures = `${outcome.rows.toLocaleString("en-US")} rows in ${outcome.ms} ms`;
        console.log(
          `${job.padEnd(8)} ${outcome.status.padEnd(9)} ${figures}${outcome.error ? `: ${firstLine(outcome.error)}` : ""}`,
        );
      }
      for (const { slug, reason } of summary.notExported)
        console.log(`workspace ${slug} not exported: ${firstLine(reason)}`);
      for (const { slug, error } of summary.unwritten)
        console.log(`workspace ${slug} not written: ${firstLine(error)}`);
      for (const [host, at] of summary.union?.exportedAt ?? [])
        console.log(
          `host ${host} exported at ${new Date(at).toISOString()}; results for ${summary.union?.results.get(host) ?? 0} workspaces`,
        );
      console.log(
        `run ${run.id} for ${run.runDate} ${run.status} in ${((run.endedAt ?? run.startedAt) - run.startedAt).toLocaleString("en-US")} ms`,
      );
      let applied = 0;
      if (cluster && summary.union)
        applied = await applyAndReport(catalog, shards, {
          shared: warehouse,
          host: cluster.host,
          dataDir: config.dataDir,
          ownerOf: cluster.ownerOf,
          writers: settings.writers,
          record: false,
        });
      return run.status === "succeeded" && applied === 0 ? 0 : 1;
    } catch (error) {
      if (error instanceof MissingHostExportError) {
        console.error(`crm analytics run: ${error.message}`);
        return 1;
      }
      if (error instanceof RunInProgressError) {
        console.error(`crm analytics run: ${error.message}; try again when it has finished`);
        return 2;
      }
      throw error;
    } finally {
      shards.closeAll();
      catalog.close();
    }
  },
};
