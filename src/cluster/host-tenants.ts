import { clusterFetch } from "./cluster-fetch.ts";
import type { HostTenants } from "./cluster-routes.ts";
import type { ClusterHost, Placement } from "./placement.ts";

/** What one host said when asked for its tenants: the slugs, or why it did not answer. */
export type TenantsAnswer = { host: ClusterHost; tenants: string[] } | { host: ClusterHost; error: string };

/**
 * Asks each of `hosts` (at once) for the slugs its catalog holds (GET /_cluster/tenants,
 * signed). A host that is down, slow (5 s) or answers anything but the list is an error for
 * the caller to weigh: `hosts add` refuses, `nginx-config` warns.
 */
export function askTenants(placement: Placement, hosts: readonly ClusterHost[]): Promise<TenantsAnswer[]> {
  return Promise.all(
    hosts.map(async (host): Promise<TenantsAnswer> => {
      try {
        const response = await clusterFetch(host, placement.secret, "GET", "/_cluster/tenants", {
          timeoutMs: 5000,
        });
        if (!response.ok) {
          await response.body?.cancel();
          return { host, error: `answered ${response.status}` };
        }
        const body = (await response.json()) as HostTenants;
        if (!Array.isArray(body.tenants) || body.tenants.some((s) => typeof s !== "string"))
          return { host, error: "answered something other than a list of tenants" };
        if (body.host !== host.name)
          return { host, error: `says it is host ${JSON.stringify(body.host)} (check its CRM_HOST_NAME)` };
        return { host, tenants: body.tenants };
      } catch (error) {
        return { host, error: (error as Error).message };
      }
    }),
  );
}

/** Whether a host answers GET /healthz within 2 s. */
export async function answersHealth(host: ClusterHost): Promise<boolean> {
  try {
    const response = await fetch(`${host.url}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
