import { loadConfig } from "../core/config.ts";
import { Catalog } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import { UsageError } from "./command.ts";

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
