import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../core/config.ts";
import { CATALOG_FILE, Catalog } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import { UsageError } from "./command.ts";

/**
 * Opens the catalog of `dataDir` for a command that only reads it (a list, a status, a query):
 * a directory without one (a mistyped --data) is refused, exit 2, and nothing is created there.
 */
export function openExistingCatalog(dataDir: string): Catalog {
  if (!existsSync(join(dataDir, CATALOG_FILE)))
    throw new UsageError(
      `no catalog in ${dataDir}: it holds no workspaces (check --data or $CRM_DATA; crm tenants create makes the first)`,
    );
  return Catalog.open(dataDir);
}

/** The catalog and a shard manager over `--data` (or $CRM_DATA, or ./data), for one CLI command. */
export function openData(values: Record<string, unknown>) {
  const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
  const catalog = Catalog.open(config.dataDir);
  const shards = new ShardManager({ dataDir: config.dataDir, maxOpen: config.maxOpenShards });
  return {
    config,
    catalog,
    shards,
    tenant(slug: string): Tenant {
      const tenant = catalog.findBySlug(slug);
      if (!tenant)
        throw new UsageError(`no workspace "${slug}" in ${config.dataDir} (see: crm tenants list)`);
      return tenant;
    },
    close() {
      shards.closeAll();
      catalog.close();
    },
  };
}
