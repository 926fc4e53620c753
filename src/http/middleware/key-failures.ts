import type { MiddlewareHandler } from "hono";
import { RetryLaterError } from "../../core/errors.ts";
import { clientIp } from "../https.ts";
import { addressKey, type RateLimits, rateLimited } from "./rate-limit.ts";
import { noteBucket } from "./rate-limit-headers.ts";

/**
 * Throttles guessing API keys: every API answer 401 (no key, a wrong or revoked key, a
 * workspace that does not exist) takes a token from its client address's small bucket of
 * failures (CRM_API_KEY_FAILURES per CRM_API_KEY_FAILURE_WINDOW_SECONDS). Once it is empty,
 * every API request from that address is answered 429 with Retry-After before its key is
 * looked at, a right key included: letting right keys through would tell a guesser when one
 * is right. A successful request costs nothing. Per process, like every limit here.
 */
export function keyFailureGuard(limits: RateLimits): MiddlewareHandler {
  return async function keyFailureGuard(c, next) {
    const failures = limits.keyFailures;
    if (!failures) return next();
    const address = addressKey(clientIp(c, limits.config));
    if (!failures.has(address, Date.now())) {
      const refused = failures.take(address, Date.now());
      noteBucket(c, failures.burst, refused);
      rateLimited.keyFailures++;
      throw new RetryLaterError(
        429,
        "too many failed API key checks from your address; wait before trying again",
        refused.ok ? 1 : refused.retryAfterSeconds,
      );
    }
    await next();
    // Noted, so that a 401's RateLimit-* describe this bucket when it is the nearest to refusing
    // (its last 401 before the lockout says Remaining 0), not only the address's big one.
    if (c.res.status === 401) noteBucket(c, failures.burst, failures.take(address, Date.now()));
  };
}
