import { analyticsSettings } from "../../jobs/export/analytics-settings.ts";
import type { ApplyOptions } from "../../jobs/run/apply-results.ts";
import { WRITE_BUSY_TIMEOUT_MS } from "../../jobs/run/write-back.ts";
import { loadConfig } from "../core/config.ts";
import { RunInProgressError } from "../tenancy/analytics-ledger.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import { analyticsCluster } from "./analytics-cluster.ts";
import { type Command, DATA_HELP, UsageError } from "./command.ts";
import { openExistingCatalog } from "./open-data.ts";

/**
 * Applies this host's results of the last union run and prints what it did; returns how many
 * workspaces could not be written. Throws UsageError when there are no results to apply.
 */
export async function applyAndReport(
  catalog: Catalog,
  shards: ShardManager,
  options: ApplyOptions,
): Promise<number> {
  // Loaded here: `crm serve` imports the command table and never needs the write-back.
  const { applyResults, NoResultsError } = await import("../../jobs/run/apply-results.ts");
  try {
    const summary = await applyResults(catalog, shards, options);
    for (const { slug, reason } of summary.skipped) console.log(`workspace ${slug} not applied: ${reason}`);
    for (const { slug, error } of summary.unwritten) console.log(`workspace ${slug} not written: ${error}`);
    console.log(
      `applied the results for ${summary.runDate} (run on host ${summary.runner}) on host ${options.host}: ` +
        `${summary.written} workspaces written, ${summary.unchanged} already current` +
        `${summary.usage === undefined ? "" : `, ${summary.usage} usage rows`}`,
    );
    return summary.unwritten.length;
  } catch (error) {
    if (error instanceof NoResultsError) throw new UsageError(error.message);
    if (error instanceof RunInProgressError)
      throw new UsageError(`${error.message}; try again when it has finished`);
    throw error;
  }
}

export const analyticsApply: Command = {
  name: "analytics apply",
  summary: "on a host of a cluster: write the last union run's results into this host's workspaces",
  help: `Usage: crm analytics apply [--warehouse DIR] [--data DIR]

On a host of a cluster (the placement file exists; CRM_HOST_NAME names this host): writes the
results the last crm analytics run (on any host) left for this host in the shared warehouse
(results/<host>.msgpack) into the files of this host's workspaces, one transaction each, and
this host's usage rows into its catalog. A workspace already holding them is not written:
applying twice changes nothing. A workspace this host does not hold, or that placement now
gives another host, or that holds a later day's results, is left alone (named). Recorded in
this host's run ledger as the union run (crm analytics status). Exit 1 when a workspace could
not be written; exit 2 without a cluster, without results, or while a run is in progress
(README "Analytics across hosts").

  --warehouse DIR  the shared warehouse (default: $CRM_WAREHOUSE_DIR or <data dir>/warehouse)
${DATA_HELP}

Settings: CRM_ANALYTICS_WRITERS (threads writing the workspaces' files, default 2).`,
  options: { warehouse: { type: "string" } },
  async run(values) {
    const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
    const catalog = openExistingCatalog(config.dataDir);
    const shards = new ShardManager({
      dataDir: config.dataDir,
      maxOpen: 16,
      busyTimeoutMs: WRITE_BUSY_TIMEOUT_MS,
    });
    try {
      const cluster = analyticsCluster(config);
      if (!cluster)
        throw new UsageError(
          `no placement file at ${config.clusterFile}: on a single host crm analytics run writes the results itself`,
        );
      const settings = analyticsSettings(process.env, config.dataDir, values.warehouse as string | undefined);
      const failed = await applyAndReport(catalog, shards, {
        shared: settings.warehouse,
        host: cluster.host,
        dataDir: config.dataDir,
        ownerOf: cluster.ownerOf,
        writers: settings.writers,
        record: true,
      });
      return failed === 0 ? 0 : 1;
    } finally {
      shards.closeAll();
      catalog.close();
    }
  },
};
