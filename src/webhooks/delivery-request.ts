import type { Change } from "../changes/change.ts";
import { webhookSignature } from "./webhook-signature.ts";

/**
 * The body and headers of one delivery: `{id, type, occurredAt, data}` with the change as
 * `data`, signed with the subscription's secret at `now`; `CRM-Event-Id` is the change's id,
 * the same on every attempt, so a receiver can drop one it has already handled.
 */
export function deliveryRequest(change: Change, secret: string, attempt: number, now: number) {
  const body = JSON.stringify({
    id: change.id,
    type: change.type,
    occurredAt: change.occurredAt,
    data: change,
  });
  const headers = {
    "Content-Type": "application/json",
    "User-Agent": "crm-webhooks/1",
    "CRM-Event-Id": change.id,
    "CRM-Delivery-Attempt": String(attempt),
    "CRM-Signature": webhookSignature(secret, body, Math.floor(now / 1000)),
  };
  return { body, headers };
}
