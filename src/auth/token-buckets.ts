/** Most keys remembered; past it the oldest are forgotten, so a spray of addresses cannot exhaust memory. */
const MAX_KEYS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key: `capacity` actions at once, given back evenly over `windowMs`. A
 * burst takes what is there and then one more every `windowMs / capacity`, so a limit never
 * resets all at once at a window's edge.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
  ) {}

  private refilled(key: string, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.capacity, at: now };
    const tokens = Math.min(
      this.capacity,
      bucket.tokens + ((now - bucket.at) * this.capacity) / this.windowMs,
    );
    return { tokens, at: now };
  }

  /** Milliseconds until `key` has an action left (0: now). */
  wait(key: string, now: number): number {
    const { tokens } = this.refilled(key, now);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * this.windowMs) / this.capacity);
  }

  /** Uses one action of `key` (call after `wait` said 0). */
  take(key: string, now: number): void {
    const bucket = this.refilled(key, now);
    bucket.tokens -= 1;
    this.buckets.delete(key);
    if (this.buckets.size >= MAX_KEYS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.buckets.set(key, bucket);
  }
}
