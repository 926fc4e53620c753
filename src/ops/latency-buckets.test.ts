import { describe, expect, it } from "bun:test";
import { BUCKET_COUNT, bucketOf, LATENCY_BOUNDS, quantile } from "./latency-buckets.ts";

const counts = (at: Record<number, number>) => Array.from({ length: BUCKET_COUNT }, (_, i) => at[i] ?? 0);

describe("latency buckets", () => {
  it("puts a duration in the first bucket whose bound it does not exceed, past 10 s in the open one", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.001)).toBe(0);
    expect(bucketOf(0.0011)).toBe(1);
    expect(bucketOf(10)).toBe(LATENCY_BOUNDS.length - 1);
    expect(bucketOf(11)).toBe(LATENCY_BOUNDS.length);
  });

  it("estimates quantiles as Prometheus does: linear within the bucket, the last bound for the open one", () => {
    expect(quantile(counts({}), 0.5)).toBeUndefined();
    // 100 requests all in (5 ms, 10 ms]: the median halfway through it.
    expect(quantile(counts({ 3: 100 }), 0.5)).toBeCloseTo(0.0075, 6);
    // 99 fast, 1 in the open bucket: p99 still in the fast bucket, p100 at the last bound.
    expect(quantile(counts({ 0: 99, [LATENCY_BOUNDS.length]: 1 }), 0.99)).toBeCloseTo(0.001, 6);
    expect(quantile(counts({ 0: 99, [LATENCY_BOUNDS.length]: 1 }), 1)).toBe(10);
  });
});
