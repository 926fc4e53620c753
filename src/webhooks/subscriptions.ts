import { NotFoundError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { WebhookDeliveryRow } from "./schema.ts";

/** A subscription as services, pages and the API see it: never with its secret. */
export interface WebhookSubscription {
  id: number;
  url: string;
  events: string[];
  enabled: boolean;
  cursor: number;
  failures: number;
  nextAttemptAt: number | null;
  disabledReason: string | null;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

const COLUMNS = `id, url, events, enabled, cursor, failures, next_attempt_at AS nextAttemptAt,
  disabled_reason AS disabledReason, disabled_at AS disabledAt, created_at AS createdAt, updated_at AS updatedAt`;

type Row = Omit<WebhookSubscription, "events" | "enabled"> & { events: string; enabled: number };

function fromRow(row: Row): WebhookSubscription {
  return { ...row, events: JSON.parse(row.events) as string[], enabled: row.enabled === 1 };
}

/** The workspace's subscriptions, oldest first (a workspace has a handful). */
export function listWebhooks(shard: Shard): WebhookSubscription[] {
  return (shard.statement(`SELECT ${COLUMNS} FROM webhook_subscriptions ORDER BY id`).all() as Row[]).map(
    fromRow,
  );
}

/** One subscription of this workspace; any other id is a 404. */
export function getWebhook(shard: Shard, id: number): WebhookSubscription {
  const row = shard
    .statement(`SELECT ${COLUMNS} FROM webhook_subscriptions WHERE id = ?`)
    .get(id) as Row | null;
  if (!row) throw new NotFoundError("webhook");
  return fromRow(row);
}

/** Whether the delivery task has anything to do here (what the catalog's mark follows). */
export function hasEnabledWebhooks(shard: Shard): boolean {
  return shard.statement("SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 LIMIT 1").get() !== null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API's view of a subscription. */
export function webhookJson(s: WebhookSubscription) {
  return {
    id: s.id,
    url: s.url,
    events: s.events,
    enabled: s.enabled,
    failures: s.failures,
    nextAttemptAt: iso(s.nextAttemptAt),
    disabledReason: s.disabledReason,
    disabledAt: iso(s.disabledAt),
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

/** A subscription's delivery log, newest first: all of it (recordAttempt keeps it to DELIVERY_LOG_KEEP rows). */
export function listDeliveries(shard: Shard, subscriptionId: number): WebhookDeliveryRow[] {
  const rows = shard
    .statement(
      `SELECT id, subscription_id AS subscriptionId, change_id AS changeId, event_type AS eventType, attempt,
         attempted_at AS attemptedAt, status_code AS statusCode, duration_ms AS durationMs, ok, error,
         next_attempt_at AS nextAttemptAt
       FROM webhook_deliveries WHERE subscription_id = ? ORDER BY id DESC LIMIT 1000`,
    )
    .all(subscriptionId) as (Omit<WebhookDeliveryRow, "ok"> & { ok: number })[];
  return rows.map((r) => ({ ...r, ok: r.ok === 1 }));
}

/** The API's view of a delivery attempt. */
export function deliveryJson(d: WebhookDeliveryRow) {
  return {
    id: d.id,
    changeId: d.changeId,
    eventType: d.eventType,
    attempt: d.attempt,
    attemptedAt: iso(d.attemptedAt),
    ok: d.ok,
    statusCode: d.statusCode,
    durationMs: d.durationMs,
    error: d.error,
    nextAttemptAt: iso(d.nextAttemptAt),
  };
}
