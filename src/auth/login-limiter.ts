import type { Config } from "../config.ts";
import { RetryLaterError } from "../server/errors.ts";

interface Window {
  failures: number;
  startedAt: number;
}

/** Most keys remembered; past it the oldest windows are forgotten, so a spray of addresses cannot exhaust memory. */
const MAX_KEYS = 100_000;

/** Counts failures per key in fixed windows. */
class FailureCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until `key` may try again, or 0 if it may try now. */
  retryAfter(key: string, now: number): number {
    const window = this.windows.get(key);
    if (!window) return 0;
    const endsAt = window.startedAt + this.windowMs;
    if (endsAt <= now) {
      this.windows.delete(key);
      return 0;
    }
    return window.failures >= this.maxFailures ? Math.ceil((endsAt - now) / 1000) : 0;
  }

  fail(key: string, now: number): void {
    const window = this.windows.get(key);
    if (window && window.startedAt + this.windowMs > now) {
      window.failures++;
      return;
    }
    if (this.windows.size >= MAX_KEYS) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(key, { failures: 1, startedAt: now });
  }

  clear(key: string): void {
    this.windows.delete(key);
  }
}

/**
 * Limits failed logins per account (tenant + email) and per client address. Checked before
 * the password is hashed, so a locked-out flood costs no hashing at all.
 */
export class LoginLimiter {
  private readonly perAccount: FailureCounter;
  private readonly perIp: FailureCounter;

  constructor(config: Pick<Config, "loginFailuresPerAccount" | "loginFailuresPerIp" | "loginWindowMinutes">) {
    const windowMs = config.loginWindowMinutes * 60_000;
    this.perAccount = new FailureCounter(config.loginFailuresPerAccount, windowMs);
    this.perIp = new FailureCounter(config.loginFailuresPerIp, windowMs);
  }

  /** Throws 429 with Retry-After if this account or address has failed too often lately. */
  check(tenantId: string, email: string, ip: string, now = Date.now()): void {
    const wait = Math.max(
      this.perAccount.retryAfter(`${tenantId}:${email}`, now),
      this.perIp.retryAfter(ip, now),
    );
    if (wait > 0) throw new RetryLaterError(429, "too many failed sign-in attempts; try again later", wait);
  }

  failed(tenantId: string, email: string, ip: string, now = Date.now()): void {
    this.perAccount.fail(`${tenantId}:${email}`, now);
    this.perIp.fail(ip, now);
  }

  succeeded(tenantId: string, email: string): void {
    this.perAccount.clear(`${tenantId}:${email}`);
  }
}
