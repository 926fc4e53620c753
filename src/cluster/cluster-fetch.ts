import { clusterHeaders } from "./cluster-auth.ts";
import type { ClusterHost } from "./placement.ts";

/**
 * A signed request from this process to another host's /_cluster/… routes. `path` includes
 * the query string, exactly as signed. Times out rather than hanging a move or a command on a
 * host that stopped answering.
 */
export function clusterFetch(
  host: ClusterHost,
  secret: string,
  method: string,
  path: string,
  init: { body?: BodyInit; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Response> {
  return fetch(`${host.url}${path}`, {
    method,
    body: init.body,
    headers: { ...init.headers, ...clusterHeaders(secret, method, path) },
    redirect: "manual",
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
}
