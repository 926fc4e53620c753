import { describe, expect, it } from "bun:test";
import { EMPTY_BODY_SHA256 } from "./body-digest.ts";
import {
  CLUSTER_BODY_SHA256_HEADER,
  CLUSTER_SIGNATURE_HEADER,
  CLUSTER_TIME_HEADER,
  clusterHeaders,
  verifyClusterRequest,
} from "./cluster-auth.ts";

const SECRET = "s".repeat(43);
const NOW = 1_800_000_000_000;
const BODY = "a".repeat(64);

/** The claim a request carries, as the receiving host reads it from its headers. */
function claimOf(headers: Record<string, string>) {
  return {
    time: headers[CLUSTER_TIME_HEADER],
    bodySha256: headers[CLUSTER_BODY_SHA256_HEADER],
    signature: headers[CLUSTER_SIGNATURE_HEADER],
  };
}

describe("cluster request signature", () => {
  const signed = claimOf(
    clusterHeaders(SECRET, "post", "/_cluster/t/a/pages?x=1", { bodySha256: BODY, now: NOW }),
  );

  it("holds for the method, path with query, time and body digest it was made for", () => {
    expect(verifyClusterRequest(SECRET, "POST", "/_cluster/t/a/pages?x=1", signed, NOW + 59_000)).toBe(true);
  });

  it("fails for any other method, path, query, body digest, secret, or a minute later", () => {
    const ok = (secret: string, method: string, path: string, claim: typeof signed, now = NOW) =>
      verifyClusterRequest(secret, method, path, claim, now);
    expect(ok(SECRET, "PUT", "/_cluster/t/a/pages?x=1", signed)).toBe(false);
    expect(ok(SECRET, "POST", "/_cluster/t/b/pages?x=1", signed)).toBe(false);
    expect(ok(SECRET, "POST", "/_cluster/t/a/pages?x=2", signed)).toBe(false);
    expect(ok(SECRET, "POST", "/_cluster/t/a/pages", signed)).toBe(false);
    expect(ok(SECRET, "POST", "/_cluster/t/a/pages?x=1", { ...signed, bodySha256: "b".repeat(64) })).toBe(
      false,
    );
    expect(ok(SECRET, "POST", "/_cluster/t/a/pages?x=1", { ...signed, bodySha256: EMPTY_BODY_SHA256 })).toBe(
      false,
    );
    expect(ok("t".repeat(43), "POST", "/_cluster/t/a/pages?x=1", signed)).toBe(false);
    expect(ok(SECRET, "POST", "/_cluster/t/a/pages?x=1", signed, NOW + 60_001)).toBe(false);
    expect(ok(SECRET, "POST", "/_cluster/t/a/pages?x=1", signed, NOW - 60_001)).toBe(false);
  });

  it("fails for headers that are missing or not what they should look like", () => {
    const path = "/_cluster/t/a/pages?x=1";
    for (const claim of [
      { ...signed, bodySha256: undefined },
      { ...signed, bodySha256: BODY.toUpperCase() },
      { ...signed, time: undefined },
      { ...signed, time: `${signed.time}.0` },
      { ...signed, signature: undefined },
      { ...signed, signature: `${signed.signature}00` },
    ])
      expect(verifyClusterRequest(SECRET, "POST", path, claim, NOW)).toBe(false);
  });

  it("signs a request without a body with the empty body's digest", () => {
    const headers = clusterHeaders(SECRET, "GET", "/_cluster/tenants", { now: NOW });
    expect(headers[CLUSTER_BODY_SHA256_HEADER]).toBe(EMPTY_BODY_SHA256);
    expect(verifyClusterRequest(SECRET, "GET", "/_cluster/tenants", claimOf(headers), NOW)).toBe(true);
  });
});
