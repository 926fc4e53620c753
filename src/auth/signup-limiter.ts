import type { Config } from "../core/config.ts";
import { RetryLaterError } from "../core/errors.ts";
import { TokenBuckets } from "./token-buckets.ts";

const EVERYONE = "*";

/**
 * Limits sign-ups per client address and for all addresses together: each one provisions a
 * workspace file and hashes a password, the two most expensive things a visitor can ask for.
 */
export class SignupLimiter {
  private readonly perIp: TokenBuckets;
  private readonly global: TokenBuckets;

  constructor(config: Pick<Config, "signupsPerIp" | "signupsGlobal" | "signupWindowMinutes">) {
    const windowMs = config.signupWindowMinutes * 60_000;
    this.perIp = new TokenBuckets(config.signupsPerIp, windowMs);
    this.global = new TokenBuckets(config.signupsGlobal, windowMs);
  }

  /** Counts one sign-up from `ip`, or throws 429 with Retry-After if this address, or everyone, has made too many lately. */
  take(ip: string, now = Date.now()): void {
    const mine = this.perIp.wait(ip, now);
    if (mine > 0)
      throw new RetryLaterError(429, "too many sign-ups from your address; try again later", seconds(mine));
    const everyone = this.global.wait(EVERYONE, now);
    if (everyone > 0)
      throw new RetryLaterError(429, "too many new workspaces right now; try again later", seconds(everyone));
    this.perIp.take(ip, now);
    this.global.take(EVERYONE, now);
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
