import type { Config } from "../core/config.ts";
import { RetryLaterError } from "../core/errors.ts";

/** The first wait once a key has used its free failures; each further failure doubles it, up to the window. */
export const FIRST_WAIT_MS = 30_000;
/** What an attempt is told while others on the same key are still being checked. */
const IN_FLIGHT_WAIT_MS = 1000;
/** Most keys remembered per counter; past it the oldest are forgotten, so a spray of addresses cannot exhaust memory. */
const MAX_KEYS = 100_000;

interface Failures {
  count: number;
  /** Attempts still being checked: they count as failures until they succeed. */
  pending: number;
  lastAt: number;
}

/**
 * Failed attempts per key with exponential backoff: `free` failures cost nothing, then each next
 * try waits FIRST_WAIT_MS × 2^(failures − free), at most `windowMs`, and only one try at a time
 * is let through. A key quiet for `windowMs` after its last wait ended starts afresh.
 */
class Backoff {
  private readonly keys = new Map<string, Failures>();

  constructor(
    private readonly free: number,
    private readonly windowMs: number,
  ) {}

  /** How long after its last failure `entry` must wait before its next try. */
  private backoffMs(entry: Failures): number {
    if (entry.count < this.free) return 0;
    return Math.min(this.windowMs, FIRST_WAIT_MS * 2 ** (entry.count - this.free));
  }

  /** The key's failures, unless it has been quiet for a whole window after its last wait ended. */
  private entry(key: string, now: number): Failures | undefined {
    const entry = this.keys.get(key);
    if (entry && entry.pending === 0 && entry.lastAt + this.backoffMs(entry) + this.windowMs <= now) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Milliseconds until `key` may try again (0: now). */
  waitMs(key: string, now: number): number {
    const entry = this.entry(key, now);
    if (!entry) return 0;
    if (entry.count < this.free) return entry.count + entry.pending >= this.free ? IN_FLIGHT_WAIT_MS : 0;
    const until = entry.lastAt + this.backoffMs(entry);
    if (now < until) return until - now;
    return entry.pending > 0 ? IN_FLIGHT_WAIT_MS : 0;
  }

  begin(key: string, now: number): void {
    let entry = this.entry(key, now);
    if (!entry) {
      if (this.keys.size >= MAX_KEYS) {
        const oldest = this.keys.keys().next().value;
        if (oldest !== undefined) this.keys.delete(oldest);
      }
      entry = { count: 0, pending: 0, lastAt: now };
      this.keys.set(key, entry);
    }
    entry.pending++;
  }

  /** Ends an attempt: a failure counts; a success forgets the key when `clear` is set and nothing else on it is pending. */
  end(key: string, failed: boolean, clear: boolean, now: number): void {
    const entry = this.keys.get(key);
    if (!entry) return;
    entry.pending = Math.max(0, entry.pending - 1);
    if (failed) {
      entry.count++;
      entry.lastAt = now;
    } else if (clear && entry.pending === 0) this.keys.delete(key);
  }
}

export interface SignInAttempt {
  tenantId: string;
  email: string;
  ip: string;
  /**
   * The id of a device this account signed in from before (its signed device cookie), if the
   * browser has one for this account: it is limited by its own failures only.
   */
  device?: string;
}

type LimiterConfig = Pick<
  Config,
  "loginFailuresPerAccount" | "loginFailuresPerIp" | "loginFailuresPerAccountAnywhere" | "loginWindowMinutes"
>;

/**
 * Slows down password guessing without locking the owner out. Failures are counted per client
 * address, per account from that address, and per account from anywhere (a higher allowance, for
 * guesses spread over many addresses); past each allowance the next try waits, longer after
 * each further failure. A device the account signed in from before is exempt from all three
 * and counts only its own failures, so it keeps working while the account is attacked from
 * elsewhere. Checked before the password is hashed, so a throttled flood costs no hashing;
 * attempts still being checked count as failures, so a burst of concurrent guesses cannot
 * slip past an allowance.
 */
export class LoginLimiter {
  private readonly perIp: Backoff;
  private readonly perIpAccount: Backoff;
  private readonly perAccount: Backoff;
  private readonly perDevice: Backoff;

  constructor(config: LimiterConfig) {
    const windowMs = config.loginWindowMinutes * 60_000;
    this.perIp = new Backoff(config.loginFailuresPerIp, windowMs);
    this.perIpAccount = new Backoff(config.loginFailuresPerAccount, windowMs);
    this.perAccount = new Backoff(config.loginFailuresPerAccountAnywhere, windowMs);
    this.perDevice = new Backoff(config.loginFailuresPerAccount, windowMs);
  }

  /**
   * Starts a sign-in attempt, or throws 429 with Retry-After if it must wait. Returns the
   * function that settles it: a success forgets the failures of this account from this address
   * (and of this device), never those of the address or of the account from anywhere.
   */
  attempt(attempt: SignInAttempt, now = Date.now()): (ok: boolean, at?: number) => void {
    const account = `${attempt.tenantId}:${attempt.email}`;
    const counters: [Backoff, string, boolean][] =
      attempt.device !== undefined && this.perDevice.waitMs(`${account}:${attempt.device}`, now) === 0
        ? [[this.perDevice, `${account}:${attempt.device}`, true]]
        : [
            [this.perIp, attempt.ip, false],
            [this.perIpAccount, `${attempt.ip}|${account}`, true],
            [this.perAccount, account, false],
          ];
    const wait = Math.max(...counters.map(([counter, key]) => counter.waitMs(key, now)));
    if (wait > 0) {
      throw new RetryLaterError(
        429,
        "too many failed sign-in attempts; try again later",
        Math.max(1, Math.ceil(wait / 1000)),
      );
    }
    for (const [counter, key] of counters) counter.begin(key, now);
    let settled = false;
    return (ok, at = Date.now()) => {
      if (settled) return;
      settled = true;
      for (const [counter, key, clear] of counters) counter.end(key, !ok, clear, at);
    };
  }
}
