import { eq } from "drizzle-orm";
import type { Catalog } from "../tenancy/catalog.ts";
import { type Tenant, tenants, webhookWorkspaces } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import { hasEnabledWebhooks } from "./subscriptions.ts";

/**
 * Marks (or unmarks) a workspace as having enabled webhook subscriptions in the host's
 * catalog: the delivery task visits only marked workspaces. Called after every change to a
 * workspace's subscriptions, with whether any is enabled.
 */
export function markWebhookWorkspace(catalog: Catalog, tenantId: string, hasEnabled: boolean): void {
  if (hasEnabled) catalog.db.insert(webhookWorkspaces).values({ tenantId }).onConflictDoNothing().run();
  else catalog.db.delete(webhookWorkspaces).where(eq(webhookWorkspaces.tenantId, tenantId)).run();
}

/** The active workspaces marked as having enabled subscriptions (one small indexed read of the catalog). */
export function webhookWorkspaceList(catalog: Catalog): Tenant[] {
  return catalog.db
    .select({
      id: tenants.id,
      slug: tenants.slug,
      name: tenants.name,
      file: tenants.file,
      status: tenants.status,
      createdAt: tenants.createdAt,
      failure: tenants.failure,
      failedAt: tenants.failedAt,
    })
    .from(webhookWorkspaces)
    .innerJoin(tenants, eq(tenants.id, webhookWorkspaces.tenantId))
    .where(eq(tenants.status, "active"))
    .all()
    .filter((t) => t.failure === null);
}

/** Brings the workspace's mark in line with its subscriptions (after any change to them). */
export function syncWebhookWorkspace(catalog: Catalog, shard: Shard): void {
  markWebhookWorkspace(catalog, shard.tenant.id, hasEnabledWebhooks(shard));
}
