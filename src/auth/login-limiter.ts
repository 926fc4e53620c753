import type { Config } from "../core/config.ts";
import { RetryLaterError } from "../core/errors.ts";

interface Window {
  failures: number;
  /** Attempts still being checked: they count as failures until they succeed. */
  pending: number;
  startedAt: number;
}

/** Most keys remembered; past it the oldest windows are forgotten, so a spray of addresses cannot exhaust memory. */
const MAX_KEYS = 100_000;

/** Counts failures (and attempts in flight) per key in fixed windows. */
class FailureCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  private current(key: string, now: number): Window {
    let window = this.windows.get(key);
    if (!window || window.startedAt + this.windowMs <= now) {
      const pending = window?.pending ?? 0;
      if (window) this.windows.delete(key);
      if (this.windows.size >= MAX_KEYS) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
      window = { failures: 0, pending, startedAt: now };
      this.windows.set(key, window);
    }
    return window;
  }

  /** Seconds until `key` may try again (failures and attempts in flight both count), or 0. */
  retryAfter(key: string, now: number): number {
    const window = this.current(key, now);
    return window.failures + window.pending >= this.maxFailures
      ? Math.ceil((window.startedAt + this.windowMs - now) / 1000)
      : 0;
  }

  begin(key: string, now: number): void {
    this.current(key, now).pending++;
  }

  /** Ends an attempt: a failure counts in the window; a success clears it when `clear` is set. */
  end(key: string, failed: boolean, clear: boolean, now: number): void {
    const window = this.current(key, now);
    window.pending = Math.max(0, window.pending - 1);
    if (failed) window.failures++;
    else if (clear && window.pending === 0) this.windows.delete(key);
  }
}

/**
 * Limits failed sign-ins per account (tenant + email) and per client address. Checked before
 * the password is hashed, so a locked-out flood costs no hashing at all; attempts still being
 * hashed count as failures, so a burst of concurrent guesses cannot slip past the limit.
 */
export class LoginLimiter {
  private readonly perAccount: FailureCounter;
  private readonly perIp: FailureCounter;

  constructor(config: Pick<Config, "loginFailuresPerAccount" | "loginFailuresPerIp" | "loginWindowMinutes">) {
    const windowMs = config.loginWindowMinutes * 60_000;
    this.perAccount = new FailureCounter(config.loginFailuresPerAccount, windowMs);
    this.perIp = new FailureCounter(config.loginFailuresPerIp, windowMs);
  }

  /**
   * Starts a sign-in attempt, or throws 429 with Retry-After if this account or address has
   * failed too often lately. Returns the function that settles it: success clears the
   * account's failures (never the address's).
   */
  attempt(tenantId: string, email: string, ip: string, now = Date.now()): (ok: boolean, at?: number) => void {
    const account = `${tenantId}:${email}`;
    const wait = Math.max(this.perAccount.retryAfter(account, now), this.perIp.retryAfter(ip, now));
    if (wait > 0) throw new RetryLaterError(429, "too many failed sign-in attempts; try again later", wait);
    this.perAccount.begin(account, now);
    this.perIp.begin(ip, now);
    let settled = false;
    return (ok, at = Date.now()) => {
      if (settled) return;
      settled = true;
      this.perAccount.end(account, !ok, true, at);
      this.perIp.end(ip, !ok, false, at);
    };
  }
}
