import { describe, expect, it } from "bun:test";
import { TokenBuckets } from "./token-buckets.ts";

describe("TokenBuckets", () => {
  it("allows `capacity` at once, then one more each window / capacity, per key", () => {
    const buckets = new TokenBuckets(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(buckets.wait("a", 0)).toBe(0);
      buckets.take("a", 0);
    }
    expect(buckets.wait("a", 0)).toBe(20_000);
    expect(buckets.wait("b", 0)).toBe(0);
    expect(buckets.wait("a", 19_999)).toBe(1);
    expect(buckets.wait("a", 20_000)).toBe(0);
    buckets.take("a", 20_000);
    expect(buckets.wait("a", 20_000)).toBe(20_000);
    // Never more than the capacity, however long it rested.
    for (let i = 0; i < 3; i++) buckets.take("a", 10_000_000);
    expect(buckets.wait("a", 10_000_000)).toBe(20_000);
  });
});
