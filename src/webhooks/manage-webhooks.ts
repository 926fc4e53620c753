import { z } from "zod";
import { ValidationError } from "../core/errors.ts";
import { randomToken } from "../core/tokens.ts";
import { parseOrThrow } from "../core/validation.ts";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { latestChangeId } from "./change-source.ts";
import { eventPatterns } from "./event-patterns.ts";
import { getWebhook, type WebhookSubscription } from "./subscriptions.ts";
import {
  resolveWebhookTarget,
  type TargetPolicy,
  TargetRefusedError,
  WEBHOOK_URL_MAX,
} from "./webhook-target.ts";

/** Subscriptions one workspace may have. */
export const MAX_WEBHOOKS = 20;

/** A new subscription (the API body; the Settings form is turned into it). */
export const webhookInput = z.strictObject({
  url: z
    .string("must be a URL")
    .trim()
    .min(1, "is required")
    .max(WEBHOOK_URL_MAX, `must be at most ${WEBHOOK_URL_MAX} characters`),
  events: eventPatterns,
  enabled: z.boolean("must be true or false").default(true),
});

/** A change to a subscription: only what is given changes. */
export const webhookPatch = z.strictObject({
  url: webhookInput.shape.url.optional(),
  events: eventPatterns.optional(),
  enabled: z.boolean("must be true or false").optional(),
});

/** A new subscription and its secret, which is shown this once. */
export interface CreatedWebhook {
  subscription: WebhookSubscription;
  secret: string;
}

const newSecret = () => `whsec_${randomToken(24)}`;

/** Resolves and checks the URL (SSRF rules: webhook-target.ts); a refusal is a 422 naming `url`. */
async function checkedUrl(raw: string, policy: TargetPolicy): Promise<string> {
  try {
    return (await resolveWebhookTarget(raw, policy)).url.href;
  } catch (error) {
    if (error instanceof TargetRefusedError)
      throw new ValidationError([{ field: "url", message: error.message }]);
    throw error;
  }
}

// Owners and admins only: each function checks the actor's role before it reads anything, so
// the Settings tab and the API pass the same guard.

/**
 * Subscribes `url` to event kinds; deliveries start with the next change (nothing that
 * happened before is sent). The URL is resolved and checked before anything is written.
 */
export async function createWebhook(
  shard: Shard,
  actor: Actor,
  raw: unknown,
  policy: TargetPolicy,
  now = Date.now(),
): Promise<CreatedWebhook> {
  return insertWebhook(shard, await checkNewWebhook(actor, raw, policy), now);
}

/** A new subscription as asked, its target resolved and checked (the part that waits for DNS). */
export interface NewWebhook {
  url: string;
  events: string[];
  enabled: boolean;
}

/** Checks who asks and what, and resolves the target: everything of a create that is not a write. */
export async function checkNewWebhook(actor: Actor, raw: unknown, policy: TargetPolicy): Promise<NewWebhook> {
  requireRole(actor.role, "admin");
  const input = parseOrThrow(webhookInput, raw);
  return { url: await checkedUrl(input.url, policy), events: input.events, enabled: input.enabled };
}

/**
 * Stores a checked subscription with a new secret, synchronously, so the API can run it inside
 * the transaction that also stores its Idempotency-Key's answer.
 */
export function insertWebhook(shard: Shard, input: NewWebhook, now = Date.now()): CreatedWebhook {
  const url = input.url;
  const secret = newSecret();
  const id = shard.transaction(() => {
    const count = (shard.statement("SELECT count(*) AS n FROM webhook_subscriptions").get() as { n: number })
      .n;
    if (count >= MAX_WEBHOOKS)
      throw new ValidationError([
        { field: "url", message: `a workspace has at most ${MAX_WEBHOOKS} webhooks` },
      ]);
    const row = shard
      .statement(
        `INSERT INTO webhook_subscriptions (url, events, secret, enabled, cursor, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(
        url,
        JSON.stringify(input.events),
        secret,
        input.enabled ? 1 : 0,
        latestChangeId(shard),
        now,
        now,
      ) as {
      id: number;
    };
    return row.id;
  });
  return { subscription: getWebhook(shard, id), secret };
}

/**
 * Changes what is sent: url, events, enabled (only what is given). Enabling a subscription
 * that was disabled after failing clears the failure: its held-back change is tried again now.
 */
export async function updateWebhook(
  shard: Shard,
  actor: Actor,
  id: number,
  raw: unknown,
  policy: TargetPolicy,
  now = Date.now(),
): Promise<WebhookSubscription> {
  requireRole(actor.role, "admin");
  getWebhook(shard, id);
  const patch = parseOrThrow(webhookPatch, raw);
  const url = patch.url === undefined ? undefined : await checkedUrl(patch.url, policy);
  shard.transaction(() => {
    const current = getWebhook(shard, id);
    const enabling = patch.enabled === true && !current.enabled;
    // A new URL is a new receiver (the admin fixing a broken one): the old one's failures and
    // retry wait do not carry over, so the held-back change is tried against it at once.
    const fresh = enabling || (url !== undefined && url !== current.url);
    shard
      .statement(
        `UPDATE webhook_subscriptions SET url = ?1, events = ?2, enabled = ?3, updated_at = ?4,
           failures = CASE WHEN ?6 THEN 0 ELSE failures END,
           next_attempt_at = CASE WHEN ?6 THEN NULL ELSE next_attempt_at END,
           disabled_reason = CASE WHEN ?5 THEN NULL ELSE disabled_reason END,
           disabled_at = CASE WHEN ?5 THEN NULL ELSE disabled_at END
         WHERE id = ?7`,
      )
      .run(
        url ?? current.url,
        JSON.stringify(patch.events ?? current.events),
        (patch.enabled ?? current.enabled) ? 1 : 0,
        now,
        enabling ? 1 : 0,
        fresh ? 1 : 0,
        id,
      );
  });
  return getWebhook(shard, id);
}

/** A new secret for the subscription (the old one stops signing at once); shown this once. */
export function rotateWebhookSecret(shard: Shard, actor: Actor, id: number, now = Date.now()): string {
  requireRole(actor.role, "admin");
  const secret = newSecret();
  shard.transaction(() => {
    getWebhook(shard, id);
    shard
      .statement("UPDATE webhook_subscriptions SET secret = ?, updated_at = ? WHERE id = ?")
      .run(secret, now, id);
  });
  return secret;
}

/** Removes a subscription and its delivery log; nothing more is sent to it. */
export function deleteWebhook(shard: Shard, actor: Actor, id: number): void {
  requireRole(actor.role, "admin");
  shard.transaction(() => {
    getWebhook(shard, id);
    shard.statement("DELETE FROM webhook_deliveries WHERE subscription_id = ?").run(id);
    shard.statement("DELETE FROM webhook_subscriptions WHERE id = ?").run(id);
  });
}
