/** What one request gets from a bucket: let through with what is left, or told when to come back. */
export type Take =
  | { ok: true; remaining: number; resetSeconds: number }
  | { ok: false; retryAfterSeconds: number };

/**
 * One token bucket per key (an address, a workspace), as the generic cell rate algorithm keeps
 * them: a single number per key, the time at which its bucket will be full again. `ratePerSecond`
 * tokens come back each second, up to `burst`; a request takes one. Memory is bounded: past
 * `maxKeys`, the key used least recently is forgotten (its next request finds a full bucket,
 * which errs on the side of letting through). Per process, like every in-memory limit here.
 */
export class TokenBuckets {
  private readonly fullAt = new Map<string, number>();
  private readonly interval: number;
  private readonly tolerance: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {
    this.interval = 1000 / ratePerSecond;
    this.tolerance = burst * this.interval;
  }

  /** Whether `key` could take a token now, without taking it. */
  has(key: string, now: number): boolean {
    const fullAt = Math.max(this.fullAt.get(key) ?? now, now);
    return fullAt + this.interval - now <= this.tolerance;
  }

  take(key: string, now: number): Take {
    const fullAt = Math.max(this.fullAt.get(key) ?? now, now);
    const next = fullAt + this.interval;
    if (next - now > this.tolerance) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((next - now - this.tolerance) / 1000)) };
    }
    this.fullAt.delete(key);
    this.fullAt.set(key, next);
    if (this.fullAt.size > this.maxKeys) {
      const oldest = this.fullAt.keys().next().value;
      if (oldest !== undefined) this.fullAt.delete(oldest);
    }
    return {
      ok: true,
      remaining: Math.floor((this.tolerance - (next - now)) / this.interval),
      resetSeconds: Math.ceil((next - now) / 1000),
    };
  }
}
