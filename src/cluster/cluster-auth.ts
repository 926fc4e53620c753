import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Host-to-host requests (/_cluster/…, never reachable through the load balancer) carry an
 * HMAC-SHA256 of method, path and time under the cluster's secret: a request seen on the wire
 * cannot be replayed after MAX_SKEW_MS, nor used for another path.
 */
export const CLUSTER_TIME_HEADER = "CRM-Cluster-Time";
export const CLUSTER_SIGNATURE_HEADER = "CRM-Cluster-Signature";
const MAX_SKEW_MS = 60_000;

function signature(secret: string, method: string, pathAndQuery: string, time: string): string {
  return createHmac("sha256", secret)
    .update(`${method.toUpperCase()}\n${pathAndQuery}\n${time}`)
    .digest("hex");
}

/** Headers that authenticate a request from one host (or `crm cluster`) to another. */
export function clusterHeaders(
  secret: string,
  method: string,
  pathAndQuery: string,
  now = Date.now(),
): Record<string, string> {
  const time = String(now);
  return {
    [CLUSTER_TIME_HEADER]: time,
    [CLUSTER_SIGNATURE_HEADER]: signature(secret, method, pathAndQuery, time),
  };
}

/** Whether a request's cluster headers are good for its method and path now. */
export function verifyClusterRequest(
  secret: string,
  method: string,
  pathAndQuery: string,
  time: string | undefined,
  given: string | undefined,
  now = Date.now(),
): boolean {
  if (!time || !given || !/^\d{1,16}$/.test(time) || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(now - Number(time)) > MAX_SKEW_MS) return false;
  const expected = Buffer.from(signature(secret, method, pathAndQuery, time), "hex");
  return timingSafeEqual(expected, Buffer.from(given, "hex"));
}
