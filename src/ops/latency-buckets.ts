/**
 * Upper bounds (seconds) of the latency buckets the ops dashboard counts in: the same as
 * /metrics' request-duration histogram (src/app/server-metrics.ts), so the two never disagree
 * on where a request fell. The last bucket (past 10 s) is open.
 */
export const LATENCY_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How many buckets a count array has: one per bound, and the open one past the last. */
export const BUCKET_COUNT = LATENCY_BOUNDS.length + 1;

/** The bucket a duration falls in (the first whose bound it does not exceed). */
export function bucketOf(seconds: number): number {
  for (let i = 0; i < LATENCY_BOUNDS.length; i++) if (seconds <= (LATENCY_BOUNDS[i] as number)) return i;
  return LATENCY_BOUNDS.length;
}

/**
 * The `q` quantile (0–1) of durations counted per bucket (not cumulative), in seconds, as
 * Prometheus' histogram_quantile estimates it: linear within the bucket it lands in, the last
 * finite bound for the open bucket. Undefined when nothing was counted.
 */
export function quantile(counts: readonly number[], q: number): number | undefined {
  let total = 0;
  for (const n of counts) total += n;
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] as number;
    if (n > 0 && seen + n >= rank) {
      if (i >= LATENCY_BOUNDS.length) return LATENCY_BOUNDS.at(-1) as number;
      const lower = i === 0 ? 0 : (LATENCY_BOUNDS[i - 1] as number);
      const upper = LATENCY_BOUNDS[i] as number;
      return lower + (upper - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return LATENCY_BOUNDS.at(-1) as number;
}

/** `into[i] += add[i]` for every bucket. */
export function addCounts(into: number[], add: readonly number[]): number[] {
  for (let i = 0; i < add.length; i++) into[i] = (into[i] ?? 0) + (add[i] as number);
  return into;
}
