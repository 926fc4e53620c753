import { createHmac, timingSafeEqual } from "node:crypto";

/** One request a test receiver got, with what a real receiver would check. */
export interface Received {
  at: number;
  eventId: string;
  signature: string;
  body: string;
  json: { id: string; type: string; occurredAt: string; data: Record<string, unknown> };
  attempt: number;
  path: string;
}

/**
 * Verifies a CRM-Signature header the way the README tells receivers to, written apart from
 * the product's signer: HMAC-SHA256 over "<t>.<raw body>", constant-time compare, and `t`
 * within `toleranceSeconds` of now.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  toleranceSeconds = 300,
  nowSeconds = Date.now() / 1000,
): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=") as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !parts.v1) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A webhook receiver on a random loopback port. `answer` decides each response (200 by
 * default); every request is kept in `received`, in arrival order.
 */
export function startReceiver(
  answer: (r: Received) => Response | Promise<Response> = () => new Response("ok"),
) {
  const received: Received[] = [];
  const waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      const body = await request.text();
      const r: Received = {
        at: Date.now(),
        eventId: request.headers.get("crm-event-id") ?? "",
        signature: request.headers.get("crm-signature") ?? "",
        body,
        json: JSON.parse(body),
        attempt: Number(request.headers.get("crm-delivery-attempt")),
        path: new URL(request.url).pathname,
      };
      received.push(r);
      for (const w of [...waiters])
        if (w.predicate()) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      return answer(r);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port as number,
    received,
    /** Resolves once `predicate` holds over what arrived (rejects after `timeoutMs`). */
    until(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`receiver: condition not met in ${timeoutMs} ms (${received.length} received)`)),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    stop: () => server.stop(true),
  };
}

/** Server settings for webhook tests: loopback receivers allowed, fast polling, retries in tenths of a second. */
export const WEBHOOK_TEST_ENV = {
  CRM_WEBHOOKS_ALLOW_PRIVATE: "1",
  CRM_WEBHOOKS_ALLOW_HTTP: "1",
  CRM_WEBHOOKS_POLL_MS: "50",
  CRM_WEBHOOKS_RETRY_SECONDS: "0.2,0.4,0.4",
  CRM_WEBHOOKS_TIMEOUT_MS: "1000",
};
