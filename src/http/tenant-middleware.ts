import type { MiddlewareHandler } from "hono";
import { NotFoundError } from "../core/errors.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import type { AppDeps, TenantEnv } from "./app-env.ts";

/**
 * Picks the tenant from the URL (`/t/:tenant/…`) through the catalog. An invalid slug, an
 * unknown workspace and a suspended one all get the same 404; no file is touched.
 */
export function resolveTenant(deps: AppDeps): MiddlewareHandler<TenantEnv> {
  return async function resolveTenant(c, next) {
    const slug = c.req.param("tenant") ?? "";
    const tenant = isValidSlug(slug) ? deps.catalog.findBySlug(slug) : undefined;
    if (tenant?.status !== "active") throw new NotFoundError("workspace");
    c.set("tenant", tenant);
    await next();
  };
}

/** Holds the resolved tenant's shard for the rest of the request (opening it if needed). */
export function holdShard(deps: AppDeps): MiddlewareHandler<TenantEnv> {
  return async function holdShard(c, next) {
    const shard = deps.shards.acquire(c.var.tenant);
    c.set("shard", shard);
    try {
      await next();
    } finally {
      deps.shards.release(shard);
    }
  };
}
