import type { MiddlewareHandler } from "hono";
import { UnauthorizedError } from "../core/errors.ts";
import type { TenantEnv, ViewerEnv } from "../http/app-env.ts";
import { keyTenantId, viewerForApiKey } from "./api-keys.ts";

function bearerKey(header: string | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

/**
 * Refuses a request whose key names another workspace (or no key at all) before the
 * workspace's file is opened: a key carries its tenant id, so this needs no lookup.
 */
export const apiKeyTenantCheck: MiddlewareHandler<TenantEnv> = async function apiKeyTenantCheck(c, next) {
  const key = bearerKey(c.req.header("authorization"));
  if (!key) throw new UnauthorizedError("send an API key in the Authorization header: Bearer <key>");
  if (keyTenantId(key) !== c.var.tenant.id)
    throw new UnauthorizedError("this API key is not valid for this workspace");
  await next();
};

/**
 * Sets `viewer` from the bearer key, checked against the workspace's stored key hashes; 401 if
 * unknown or revoked. Typed with the env it leaves behind: an app that uses it is a ViewerEnv.
 */
export const apiKeyAuth: MiddlewareHandler<ViewerEnv> = async function apiKeyAuth(c, next) {
  const key = bearerKey(c.req.header("authorization")) ?? "";
  const viewer = viewerForApiKey(c.var.shard, key);
  if (!viewer) throw new UnauthorizedError("this API key is not valid for this workspace");
  c.set("viewer", viewer);
  await next();
};
