import { bodySha256 } from "./body-digest.ts";
import { clusterHeaders } from "./cluster-auth.ts";
import type { ClusterHost } from "./placement.ts";

/**
 * A signed request from this process to another host's /_cluster/… routes. `path` includes
 * the query string, exactly as signed; the signature covers the body's SHA-256 too, so the body
 * is bytes in hand (the largest, a catch-up's page hashes, is at most 64 MB). Times out rather
 * than hanging a move or a command on a host that stopped answering.
 */
export async function clusterFetch(
  host: ClusterHost,
  secret: string,
  method: string,
  path: string,
  init: { body?: Uint8Array<ArrayBuffer>; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Response> {
  const signed = clusterHeaders(secret, method, path, { bodySha256: await bodySha256(init.body) });
  return fetch(`${host.url}${path}`, {
    method,
    body: init.body,
    headers: { ...init.headers, ...signed },
    redirect: "manual",
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
}
