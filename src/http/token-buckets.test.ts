import { describe, expect, it } from "bun:test";
import { TokenBuckets } from "./token-buckets.ts";

describe("TokenBuckets.has", () => {
  it("says whether a token could be taken, without taking it", () => {
    const buckets = new TokenBuckets(1, 2);
    const now = 1_000_000;
    for (let i = 0; i < 5; i++) expect(buckets.has("a", now)).toBe(true);
    expect(buckets.take("a", now).ok).toBe(true);
    expect(buckets.take("a", now).ok).toBe(true);
    expect(buckets.has("a", now)).toBe(false);
    expect(buckets.take("a", now).ok).toBe(false);
    // A refusal stores nothing: one interval later one token is back, and only one.
    expect(buckets.has("a", now + 1000)).toBe(true);
    expect(buckets.take("a", now + 1000).ok).toBe(true);
    expect(buckets.has("a", now + 1000)).toBe(false);
    expect(buckets.has("b", now)).toBe(true);
  });

  it("works with fractions of a token per second (20 failures per minute)", () => {
    const buckets = new TokenBuckets(20 / 60, 20);
    const now = 5_000_000;
    for (let i = 0; i < 20; i++) expect(buckets.take("x", now).ok).toBe(true);
    const refused = buckets.take("x", now);
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 3 });
    expect(buckets.has("x", now + 2999)).toBe(false);
    expect(buckets.has("x", now + 3000)).toBe(true);
  });
});
