import type { Context } from "hono";
import type { Take } from "../token-buckets.ts";

/** Where one bucket stands after a request: its size, what is left, seconds until it is full again. */
interface BucketState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** Each API request's bucket states, noted by the limits it passed through (address, workspace, key). */
const states = new WeakMap<Request, BucketState[]>();

/** Notes what a bucket of `limit` tokens said of this request (a refusal: nothing left until Retry-After). */
export function noteBucket(c: Context, limit: number, taken: Take): void {
  const state = taken.ok
    ? { limit, remaining: taken.remaining, resetSeconds: taken.resetSeconds }
    : { limit, remaining: 0, resetSeconds: taken.retryAfterSeconds };
  const noted = states.get(c.req.raw);
  if (noted) noted.push(state);
  else states.set(c.req.raw, [state]);
}

/**
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers,
 * its first header fields) on an API answer: of the buckets the request went through, the one
 * nearest to refusing (fewest left; then the longest to wait), as the draft asks when several
 * policies apply. Nothing when every limit is off.
 */
export function setRateLimitHeaders(c: Context, response: Response): void {
  const noted = states.get(c.req.raw);
  if (!noted?.length) return;
  const [tightest] = [...noted].sort((a, b) => a.remaining - b.remaining || b.resetSeconds - a.resetSeconds);
  if (!tightest) return;
  response.headers.set("RateLimit-Limit", String(tightest.limit));
  response.headers.set("RateLimit-Remaining", String(tightest.remaining));
  response.headers.set("RateLimit-Reset", String(tightest.resetSeconds));
}
