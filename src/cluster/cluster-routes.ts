import { Hono } from "hono";
import type { AppDeps } from "../http/app-env.ts";
import type { ClusterMember } from "./cluster-member.ts";
import { requireClusterSignature } from "./cluster-signature-middleware.ts";

/** What GET /_cluster/tenants answers. */
export interface HostTenants {
  host: string;
  /** Every slug in this host's catalog, whatever its state (a suspended workspace's data is still here). */
  tenants: string[];
}

/**
 * Host-to-host routes of this host (signed with the placement's secret; the front refuses
 * /_cluster/ outright). GET /_cluster/tenants lists the workspaces this host's catalog holds,
 * for `crm cluster hosts add` (which pins them before re-homing any) and `nginx-config` (the
 * slug map). JSON, not msgpack: a list of short slugs, read once per command, that an operator
 * can also read with curl; msgpackr is for the bulk bytes a tenant move ships.
 */
export function clusterRoutes(deps: AppDeps, member: ClusterMember | undefined) {
  const app = new Hono();
  app.use(
    "/_cluster/*",
    requireClusterSignature(() => member?.placement().secret),
  );
  app.get("/_cluster/tenants", (c) =>
    c.json({
      host: member?.hostName ?? "",
      tenants: deps.catalog.list().map((t) => t.slug),
    } satisfies HostTenants),
  );
  return app;
}
