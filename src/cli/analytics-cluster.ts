import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  type HostExport,
  hostWarehouse,
  tenantFileBytes,
  writeHostExport,
} from "../../jobs/export/host-warehouse.ts";
import { hostNamed, ownerOf, type Placement } from "../cluster/placement.ts";
import { readPlacement } from "../cluster/placement-file.ts";
import { type Config, ConfigError } from "../core/config.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";

/**
 * The analytics commands on a host of a cluster (README "Analytics across hosts"): the
 * placement file exists. Then `--warehouse` / CRM_WAREHOUSE_DIR is the warehouse every host
 * shares, this host exports into `hosts/<its name>/` of it, only the workspaces placement gives
 * it, and runs read the union. Without the file: undefined, and every command is as on one host.
 */
export interface AnalyticsCluster {
  placement: Placement;
  /** This host's name. */
  host: string;
  hosts: string[];
  ownerOf: (slug: string) => string | undefined;
}

export function analyticsCluster(
  config: Pick<Config, "clusterFile" | "hostName">,
): AnalyticsCluster | undefined {
  const file = config.clusterFile;
  if (!file || !existsSync(file)) return undefined;
  let placement: Placement;
  try {
    placement = readPlacement(file);
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message}`);
  }
  const host = config.hostName;
  if (!host) throw new ConfigError(`CRM_HOST_NAME must name this host: the placement file ${file} exists`);
  if (!hostNamed(placement, host))
    throw new ConfigError(`CRM_HOST_NAME "${host}" is not a host of the placement file ${file}`);
  return {
    placement,
    host,
    hosts: placement.hosts.map((h) => h.name),
    ownerOf: (slug) => ownerOf(placement, slug)?.name,
  };
}

/** The catalog's workspaces placement gives this host (a copy it holds for a move is not its own). */
export const ownedTenants = (cluster: AnalyticsCluster, tenants: Tenant[]) =>
  tenants.filter((t) => cluster.ownerOf(t.slug) === cluster.host);

/** The warehouse this host's export writes: its own folder of the shared one. */
export const exportWarehouseOf = (cluster: AnalyticsCluster | undefined, warehouse: string) =>
  cluster ? hostWarehouse(warehouse, cluster.host) : warehouse;

/**
 * After this host's export into the shared warehouse: what it exported (the workspaces read,
 * with their files' sizes) and what it skipped, for the union run (union-sources.ts).
 */
export function recordHostExport(
  cluster: AnalyticsCluster,
  shared: string,
  dataDir: string,
  owned: Tenant[],
  skipped: ReadonlyMap<string, string>,
): void {
  const record: HostExport = {
    version: 1,
    host: cluster.host,
    exportedAt: Date.now(),
    placementVersion: cluster.placement.version,
    tenants: {},
    skipped: {},
  };
  for (const tenant of owned) {
    const reason = skipped.get(tenant.id);
    if (reason !== undefined) (record.skipped ?? {})[tenant.id] = { slug: tenant.slug, reason };
    else
      record.tenants[tenant.id] = { slug: tenant.slug, bytes: tenantFileBytes(join(dataDir, tenant.file)) };
  }
  writeHostExport(shared, record);
}
