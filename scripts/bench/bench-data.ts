import { existsSync } from "node:fs";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { type SeedOptions, seedTenant } from "../../src/seed/seed-tenant.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";

export const BENCH = { slug: "bench", email: "bench@example.com", password: "bench-password" } as const;

/**
 * A data directory with the "bench" workspace seeded with `contacts` contacts (seed 1, with the
 * seed's default deals and history unless `more` says otherwise), made once and reused by later
 * runs.
 */
export async function benchData(
  dataDir: string,
  contacts: number,
  more: Pick<SeedOptions, "deals" | "interactionsPerContact"> = {},
): Promise<void> {
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir });
  try {
    let tenant = catalog.findBySlug(BENCH.slug);
    if (!tenant) {
      const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 0, memoryCostKiB: 65536, timeCost: 2 });
      tenant = (
        await createTenant(catalog, hasher, {
          slug: BENCH.slug,
          name: "Bench Co",
          ownerName: "Bench",
          ownerEmail: BENCH.email,
          ownerPassword: BENCH.password,
        })
      ).tenant;
    }
    await shards.use(tenant, (shard) => {
      const have = (shard.statement("SELECT count(*) AS n FROM contacts").get() as { n: number }).n;
      if (have < contacts) {
        const result = seedTenant(shard, { contacts: contacts - have, seed: 1, ...more });
        console.error(
          `seeded ${result.contacts} contacts, ${result.deals} deals, ${result.interactions} interactions in ${result.ms} ms`,
        );
      }
    });
  } finally {
    shards.closeAll();
    catalog.close();
  }
}

export function dataDirExists(dataDir: string): boolean {
  return existsSync(`${dataDir}/catalog.sqlite`);
}
