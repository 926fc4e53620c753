/** Latencies as value (µs) → count: wrk's whole distribution of a slice, or several merged. */
export type Histogram = Map<number, number>;

export function mergeHistograms(histograms: Histogram[]): Histogram {
  const merged: Histogram = new Map();
  for (const h of histograms)
    for (const [value, count] of h) merged.set(value, (merged.get(value) ?? 0) + count);
  return merged;
}

/**
 * The latency below which `percent` of the requests finished, in the histogram's unit (the
 * smallest value whose cumulative count reaches that share, as wrk computes it); 0 when empty.
 */
export function percentile(histogram: Histogram, percent: number): number {
  const values = [...histogram.keys()].sort((a, b) => a - b);
  const total = values.reduce((sum, v) => sum + (histogram.get(v) as number), 0);
  if (total === 0) return 0;
  const wanted = Math.max(1, Math.ceil((percent / 100) * total));
  let seen = 0;
  for (const value of values) {
    seen += histogram.get(value) as number;
    if (seen >= wanted) return value;
  }
  return values[values.length - 1] as number;
}

/** The percentiles every summary states. */
export const PERCENTILES = [50, 75, 90, 95, 99, 99.9] as const;

/**
 * The per-action latencies the scenario scripts keep: logarithmic buckets, bucket b holding
 * latencies up to e^(b/20) µs (scripts/loadtest/lib/crm.lua); as a histogram of each bucket's
 * upper bound, so a percentile read from it is at most about 5 % high.
 */
export function bucketHistogram(buckets: Record<string, number>): Histogram {
  const h: Histogram = new Map();
  for (const [bucket, count] of Object.entries(buckets)) {
    const upper = Math.exp(Number(bucket) / 20);
    h.set(upper, (h.get(upper) ?? 0) + count);
  }
  return h;
}
