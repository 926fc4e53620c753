import { createTenant } from "../auth/create-tenant.ts";
import { insertUser } from "../auth/insert-user.ts";
import type { PasswordHasher } from "../auth/password-hasher.ts";
import { seedTenant } from "../seed/seed-tenant.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import type { ShardManager } from "../tenancy/shard-manager.ts";

export const DEMO = {
  slug: "demo",
  name: "Demo Coffee Roasters",
  email: "demo@example.com",
  password: "demo-password",
  contacts: 5000,
} as const;

const TEAM = [
  { name: "Sam Rivera", email: "sam@example.com", role: "admin" },
  { name: "Alex Chen", email: "alex@example.com", role: "member" },
  { name: "Jordan Patel", email: "jordan@example.com", role: "read-only" },
] as const;

/**
 * The demo workspace `npm start` serves: created and seeded on the first run (and seeded
 * again if a previous first run stopped before its data was in), so what a newcomer changes
 * survives restarts. Everyone on the team signs in with the demo password.
 */
export async function ensureDemoWorkspace(
  catalog: Catalog,
  shards: ShardManager,
  hasher: PasswordHasher,
): Promise<boolean> {
  const tenant =
    catalog.findBySlug(DEMO.slug) ??
    (
      await createTenant(catalog, hasher, {
        slug: DEMO.slug,
        name: DEMO.name,
        ownerName: "Dana Demo",
        ownerEmail: DEMO.email,
        ownerPassword: DEMO.password,
      })
    ).tenant;
  const empty = await shards.use(tenant, (shard) => !shard.statement("SELECT 1 FROM contacts LIMIT 1").get());
  if (!empty) return false;
  const passwordHash = await hasher.hash(DEMO.password);
  await shards.use(tenant, (shard) =>
    shard.transaction(() => {
      for (const member of TEAM) {
        if (!shard.statement("SELECT 1 FROM users WHERE email = ?").get(member.email)) {
          insertUser(shard.db, { ...member, passwordHash });
        }
      }
      seedTenant(shard, { contacts: DEMO.contacts, seed: 42 });
    }),
  );
  return true;
}
