import { createHmac, timingSafeEqual } from "node:crypto";
import { EMPTY_BODY_SHA256 } from "./body-digest.ts";

/**
 * Host-to-host requests (/_cluster/…, never reachable through the load balancer) carry an
 * HMAC-SHA256 under the cluster's secret of their method, path with query, time and the SHA-256
 * of their body (sent in a header of its own, so a host refuses a bad signature before reading
 * any body): a request seen on the wire cannot be replayed after MAX_SKEW_MS, nor used for
 * another path, query or body. The receiver checks the body it read against that digest before
 * any route sees it (cluster-signature-middleware.ts).
 */
export const CLUSTER_TIME_HEADER = "CRM-Cluster-Time";
export const CLUSTER_SIGNATURE_HEADER = "CRM-Cluster-Signature";
export const CLUSTER_BODY_SHA256_HEADER = "CRM-Cluster-Content-SHA256";
const MAX_SKEW_MS = 60_000;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function signature(
  secret: string,
  method: string,
  pathAndQuery: string,
  time: string,
  bodySha256: string,
): string {
  return createHmac("sha256", secret)
    .update(`${method.toUpperCase()}\n${pathAndQuery}\n${time}\n${bodySha256}`)
    .digest("hex");
}

export interface ClusterHeadersOptions {
  /** The body's SHA-256 in hex (body-digest.ts); a request without a body is signed with the empty one's. */
  bodySha256?: string;
  now?: number;
}

/** Headers that authenticate a request from one host (or `crm cluster`) to another. */
export function clusterHeaders(
  secret: string,
  method: string,
  pathAndQuery: string,
  { bodySha256 = EMPTY_BODY_SHA256, now = Date.now() }: ClusterHeadersOptions = {},
): Record<string, string> {
  const time = String(now);
  return {
    [CLUSTER_TIME_HEADER]: time,
    [CLUSTER_BODY_SHA256_HEADER]: bodySha256,
    [CLUSTER_SIGNATURE_HEADER]: signature(secret, method, pathAndQuery, time, bodySha256),
  };
}

/** A request's cluster headers as received (any may be missing). */
export interface ClusterClaim {
  time: string | undefined;
  bodySha256: string | undefined;
  signature: string | undefined;
}

/**
 * Whether a request's cluster headers are good for its method and path now. The body's digest
 * they claim is only signed here: the caller still checks the body against it.
 */
export function verifyClusterRequest(
  secret: string,
  method: string,
  pathAndQuery: string,
  claim: ClusterClaim,
  now = Date.now(),
): boolean {
  const { time, bodySha256, signature: given } = claim;
  if (!time || !bodySha256 || !given || !/^\d{1,16}$/.test(time)) return false;
  if (!HEX_SHA256.test(bodySha256) || !HEX_SHA256.test(given)) return false;
  if (Math.abs(now - Number(time)) > MAX_SKEW_MS) return false;
  const expected = Buffer.from(signature(secret, method, pathAndQuery, time, bodySha256), "hex");
  return timingSafeEqual(expected, Buffer.from(given, "hex"));
}
