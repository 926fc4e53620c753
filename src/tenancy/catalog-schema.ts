import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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

/**
 * The ledger of analytics runs on this host (`crm analytics run`, by hand or nightly): one row
 * per run, written by the run's own process. A row `running` whose process is gone is a run
 * that crashed; the next run marks it failed and takes over (the lock is the row, not a file
 * that a crash could leave behind). `jobs` is JSON: per job, its status, rows and duration.
 */
export const analyticsRuns = sqliteTable(
  "analytics_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runDate: text("run_date").notNull(),
    trigger: text("trigger", { enum: ["manual", "nightly"] }).notNull(),
    status: text("status", { enum: ["running", "succeeded", "failed"] }).notNull(),
    pid: integer("pid").notNull(),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    exportedRows: integer("exported_rows").notNull().default(0),
    jobs: text("jobs").notNull().default("{}"),
    error: text("error"),
  },
  (t) => [index("analytics_runs_started_idx").on(t.startedAt)],
);

/** The operators' usage summary per run day and tenant (never shown to a tenant). */
export const analyticsUsage = sqliteTable(
  "analytics_usage",
  {
    runDate: text("run_date").notNull(),
    tenantId: text("tenant_id").notNull(),
    activeUsers: integer("active_users").notNull(),
    events: integer("events").notNull(),
    eventsPerDay: integer("events_per_day").notNull(),
    storageBytes: integer("storage_bytes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runDate, t.tenantId] })],
);

export type Tenant = typeof tenants.$inferSelect;

/**
 * The host's operators (`crm operators add`): who may sign in to the ops dashboard (/ops).
 * A host-level identity, unrelated to any workspace's users.
 */
export const operators = sqliteTable(
  "operators",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("operators_email_unique").on(t.email)],
);

/** Operators' sessions on /ops: the token's SHA-256 only, never the token. */
export const operatorSessions = sqliteTable(
  "operator_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    operatorId: integer("operator_id")
      .notNull()
      .references(() => operators.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("operator_sessions_operator_idx").on(t.operatorId)],
);

export type Operator = typeof operators.$inferSelect;

/**
 * Workspaces with at least one enabled webhook subscription: what the delivery task visits
 * (src/webhooks/webhook-workspaces.ts), so it never opens every tenant's file to find them.
 */
export const webhookWorkspaces = sqliteTable("webhook_workspaces", {
  tenantId: text("tenant_id").primaryKey(),
});
