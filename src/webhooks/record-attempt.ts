import type { Change } from "../changes/change.ts";
import { runInTransaction } from "../tenancy/open-database.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { AttemptResult } from "./post-delivery.ts";

/** Delivery log rows kept per subscription; older ones are pruned as new ones come. */
export const DELIVERY_LOG_KEEP = 200;

/** Characters of an error kept in the log. */
const ERROR_MAX = 300;

/** What became of the subscription after an attempt. */
export type AttemptOutcome = "delivered" | "retrying" | "disabled" | "gone";

/**
 * Records an attempt at `change` for a subscription: the log row (pruned to DELIVERY_LOG_KEEP),
 * and on success the cursor moves past it; on failure the next attempt is scheduled after
 * `retrySeconds[failures]` (±20 % jitter, so receivers coming back are not hit all at once),
 * and once every retry is spent the subscription is disabled, with why, for Settings to show.
 * Bookkeeping writes (not shard.transaction): they change no record a page caches.
 */
export function recordAttempt(
  shard: Shard,
  sub: { id: number; failures: number },
  change: Change,
  result: AttemptResult,
  retrySeconds: readonly number[],
  now: number,
  random: () => number = Math.random,
): AttemptOutcome {
  return runInTransaction(shard.sqlite, () => {
    const current = shard
      .statement("SELECT failures, enabled FROM webhook_subscriptions WHERE id = ?")
      .get(sub.id) as { failures: number; enabled: number } | null;
    if (!current) return "gone";
    const attempt = current.failures + 1;
    let outcome: AttemptOutcome;
    let nextAttemptAt: number | null = null;
    const error = result.error?.slice(0, ERROR_MAX) ?? null;
    if (result.ok) {
      outcome = "delivered";
      shard
        .statement(
          "UPDATE webhook_subscriptions SET cursor = max(cursor, ?), failures = 0, next_attempt_at = NULL WHERE id = ?",
        )
        .run(Number(change.id), sub.id);
    } else if (attempt > retrySeconds.length) {
      outcome = "disabled";
      const reason = `${attempt} attempts to deliver ${change.type} (${change.id}) failed; the last: ${error ?? "failed"}`;
      shard
        .statement(
          `UPDATE webhook_subscriptions SET enabled = 0, failures = ?, next_attempt_at = NULL,
             disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ?`,
        )
        .run(attempt, reason, now, now, sub.id);
    } else {
      outcome = "retrying";
      const wait = (retrySeconds[attempt - 1] ?? 0) * 1000 * (0.8 + 0.4 * random());
      nextAttemptAt = now + Math.round(wait);
      shard
        .statement("UPDATE webhook_subscriptions SET failures = ?, next_attempt_at = ? WHERE id = ?")
        .run(attempt, nextAttemptAt, sub.id);
    }
    shard
      .statement(
        `INSERT INTO webhook_deliveries (subscription_id, change_id, event_type, attempt, attempted_at, status_code,
           duration_ms, ok, error, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sub.id,
        change.id,
        change.type,
        attempt,
        now,
        result.statusCode,
        result.durationMs,
        result.ok ? 1 : 0,
        error,
        nextAttemptAt,
      );
    shard
      .statement(
        `DELETE FROM webhook_deliveries WHERE subscription_id = ?1 AND id <= (
           SELECT id FROM webhook_deliveries WHERE subscription_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)`,
      )
      .run(sub.id, DELIVERY_LOG_KEEP);
    return outcome;
  });
}
