import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * A workspace's webhook subscriptions. `cursor` is the id of the last change delivered (or
 * skipped as not subscribed to): the next delivery is the first matching change after it, so
 * deliveries go out oldest first, one at a time, and a failing one holds back the rest.
 * `secret` signs every delivery; it must be kept in clear to sign, and is shown only at
 * creation and rotation.
 */
export const webhookSubscriptions = sqliteTable("webhook_subscriptions", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  url: text("url").notNull(),
  /** JSON array of event kinds: "contact.created", "deal.*", "*". */
  events: text("events").notNull(),
  secret: text("secret").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  cursor: integer("cursor").notNull().default(0),
  /** Failed attempts at the change after `cursor` (0: none failed yet). */
  failures: integer("failures").notNull().default(0),
  /** When the next attempt may run (null: as soon as there is something to send). */
  nextAttemptAt: integer("next_attempt_at"),
  /** Why deliveries stopped (retries exhausted), shown in Settings until it is re-enabled. */
  disabledReason: text("disabled_reason"),
  disabledAt: integer("disabled_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** The delivery log: one row per attempt, the newest DELIVERY_LOG_KEEP per subscription kept. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    subscriptionId: integer("subscription_id")
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    changeId: text("change_id").notNull(),
    eventType: text("event_type").notNull(),
    attempt: integer("attempt").notNull(),
    attemptedAt: integer("attempted_at").notNull(),
    /** The receiver's HTTP status (null: no answer, e.g. a timeout or a refused address). */
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    ok: integer("ok", { mode: "boolean" }).notNull(),
    error: text("error"),
    /** When it is tried again (null: delivered, or given up). */
    nextAttemptAt: integer("next_attempt_at"),
  },
  (t) => [index("webhook_deliveries_subscription_idx").on(t.subscriptionId, t.id)],
);

export type WebhookSubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
