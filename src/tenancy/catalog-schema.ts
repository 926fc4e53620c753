import { sql } from "drizzle-orm";
import { check, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const TENANT_STATUSES = ["provisioning", "active", "suspended"] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** The tenants this host serves. `file` is relative to the data directory and derived from `id`, never from the slug. */
export const tenants = sqliteTable(
  "tenants",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    file: text("file").notNull(),
    status: text("status", { enum: TENANT_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    /**
     * Why the workspace's file cannot be served (gone, replaced, corrupt), set when that was
     * found; the workspace answers 503 until `crm tenants check` finds the file sound again.
     */
    failure: text("failure"),
    failedAt: integer("failed_at"),
  },
  (t) => [
    uniqueIndex("tenants_slug_unique").on(t.slug),
    check("tenants_status_check", sql`${t.status} in ('provisioning', 'active', 'suspended')`),
  ],
);

/** Host-level settings, e.g. the secret that signs pre-login CSRF tokens. */
export const hostSettings = sqliteTable("host_settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export type Tenant = typeof tenants.$inferSelect;
