import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { seedTenant } from "../../src/seed/seed-tenant.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";

/**
 * Makes `tenants` workspaces `bench-0000`… in `dataDir` with `crm seed`'s generator (seed i + 1,
 * the given anchor day, `perTenant` interactions each: a tenth as many contacts, 10 apiece),
 * skipping those already there, so the analytics benchmarks reuse one data directory.
 */
export async function seedBenchWorkspaces(options: {
  dataDir: string;
  tenants: number;
  perTenant: number;
  anchorMs: number;
}): Promise<void> {
  const { dataDir, tenants, perTenant, anchorMs } = options;
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir, maxOpen: 8 });
  const hasher = new PasswordHasher({ concurrency: 2, maxWaiting: 10_000, memoryCostKiB: 1024, timeCost: 1 });
  try {
    const have = new Set(catalog.list().map((t) => t.slug));
    const started = performance.now();
    for (let i = 0; i < tenants; i++) {
      const slug = `bench-${String(i).padStart(4, "0")}`;
      if (have.has(slug)) continue;
      const { tenant } = await createTenant(catalog, hasher, {
        slug,
        name: slug,
        ownerName: "Owner",
        ownerEmail: `owner@${slug}.test`,
        ownerPassword: "bench password 1",
      });
      await shards.use(tenant, (shard) =>
        seedTenant(shard, {
          contacts: Math.ceil(perTenant / 10),
          seed: i + 1,
          anchorMs,
          interactionsPerContact: 10,
        }),
      );
      if (i % 10 === 9)
        console.error(
          `seeded ${i + 1} of ${tenants} workspaces (${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
    }
  } finally {
    shards.closeAll();
    catalog.close();
  }
}
