import type { MiddlewareHandler } from "hono";
import { UnauthorizedError } from "../core/errors.ts";
import type { AppDeps, TenantEnv, ViewerEnv } from "../http/app-env.ts";
import { WorkspaceUnavailableError } from "../tenancy/shard-faults.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import { keyTenantId, viewerForApiKey } from "./api-keys.ts";

function bearerKey(header: string | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

/** The one answer to a key that does not open this workspace, whether the workspace exists or not. */
const NOT_VALID = "this API key is not valid for this workspace";

/**
 * Picks the API's workspace from the URL and refuses, before its file is opened, a request
 * with no key (401) or with a key that does not name it (a key carries its tenant id, so this
 * needs no lookup). A workspace that does not exist (or is suspended) is refused the same way,
 * with the same 401 and body as a wrong key, after the same work (one catalog lookup and one
 * match), so the API tells no one which workspaces exist; only a key whose tenant id is this
 * workspace's (a secret) goes on to the hash check. A workspace an operator must look at
 * answers 503 to its own keys.
 */
export function apiWorkspace(deps: AppDeps): MiddlewareHandler<TenantEnv> {
  return async function apiWorkspace(c, next) {
    const key = bearerKey(c.req.header("authorization"));
    if (!key) throw new UnauthorizedError("send an API key in the Authorization header: Bearer <key>");
    const slug = c.req.param("tenant") ?? "";
    const tenant = isValidSlug(slug) ? deps.catalog.findBySlug(slug) : undefined;
    if (tenant?.status !== "active" || keyTenantId(key) !== tenant.id) throw new UnauthorizedError(NOT_VALID);
    if (tenant.failure) throw new WorkspaceUnavailableError();
    c.set("tenant", tenant);
    await next();
  };
}

/**
 * Sets `viewer` from the bearer key, checked against the workspace's stored key hashes; 401 if
 * unknown or revoked. Typed with the env it leaves behind: an app that uses it is a ViewerEnv.
 */
export const apiKeyAuth: MiddlewareHandler<ViewerEnv> = async function apiKeyAuth(c, next) {
  const key = bearerKey(c.req.header("authorization")) ?? "";
  const viewer = viewerForApiKey(c.var.shard, key);
  if (!viewer) throw new UnauthorizedError(NOT_VALID);
  c.set("viewer", viewer);
  await next();
};
