import { createHmac } from "node:crypto";

/**
 * The `CRM-Signature` header of a delivery, as Stripe signs its webhooks: the time of signing
 * (unix seconds) and the hex HMAC-SHA256, under the subscription's secret, of "<t>.<body>".
 * A receiver recomputes it over the raw body, compares in constant time and refuses a `t`
 * outside its tolerance (e.g. 5 minutes), so a captured delivery cannot be replayed later.
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
}
