import type { MiddlewareHandler } from "hono";
import { problemResponse } from "../http/problem.ts";
import { CLUSTER_SIGNATURE_HEADER, CLUSTER_TIME_HEADER, verifyClusterRequest } from "./cluster-auth.ts";

/**
 * Guards host-to-host routes (/_cluster/…): only a request signed with the cluster's secret gets
 * through. A host outside a cluster (no secret) answers 404, as if the routes did not exist; a
 * bad or stale signature is a 403 that says nothing more.
 */
export function requireClusterSignature(secret: () => string | undefined): MiddlewareHandler {
  // Named: `crm routes` lists the routes behind it by this name (src/cli/route-table.ts).
  return async function requireClusterSignature(c, next) {
    const key = secret();
    if (key === undefined)
      return problemResponse({
        status: 404,
        title: "Not Found",
        detail: "This host is not part of a cluster.",
      });
    const url = new URL(c.req.url);
    const ok = verifyClusterRequest(
      key,
      c.req.method,
      `${url.pathname}${url.search}`,
      c.req.header(CLUSTER_TIME_HEADER),
      c.req.header(CLUSTER_SIGNATURE_HEADER),
    );
    if (!ok)
      return problemResponse({ status: 403, title: "Forbidden", detail: "Not a signed cluster request." });
    await next();
  };
}
