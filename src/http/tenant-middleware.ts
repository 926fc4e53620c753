import type { Context, MiddlewareHandler } from "hono";
import { AppError, NotFoundError } from "../core/errors.ts";
import { WorkspaceUnavailableError } from "../tenancy/shard-faults.ts";
import { isValidSlug } from "../tenancy/slug.ts";
import type { AppDeps, TenantEnv } from "./app-env.ts";

/**
 * Picks the tenant from the URL (`/t/:tenant/…`) through the catalog. An invalid slug, an
 * unknown workspace and a suspended one all get the same 404; no file is touched. A workspace
 * an operator must look at (its file went missing, was replaced or is corrupt) is answered 503
 * without opening its file again.
 */
export function resolveTenant(deps: AppDeps): MiddlewareHandler<TenantEnv> {
  return async function resolveTenant(c, next) {
    const slug = c.req.param("tenant") ?? "";
    const tenant = isValidSlug(slug) ? deps.catalog.findBySlug(slug) : undefined;
    if (tenant?.status !== "active") throw new NotFoundError("workspace");
    if (tenant.failure) throw new WorkspaceUnavailableError();
    c.set("tenant", tenant);
    await next();
  };
}

export class RequestTimeoutError extends AppError {
  constructor(seconds: number) {
    super(408, "Request Timeout", `the request body did not arrive within ${seconds} seconds; send it again`);
  }
}

/**
 * Reads the request's body whole (hono keeps it for the handler's parseBody, json or text),
 * under the body limit (the bodyLimit middleware before it) and within `seconds`: 408 after.
 */
async function readBodyWithin(c: Context, seconds: number): Promise<void> {
  if (c.req.raw.body === null) return;
  let timer: Timer | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeoutError(seconds)), seconds * 1000);
  });
  try {
    await Promise.race([c.req.arrayBuffer(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Holds the resolved tenant's shard for the rest of the request (opening it if needed), once
 * its body has arrived: a sender trickling a body holds no file and counts against no cap
 * (sessions live in the file, so signing in needs it; the body comes first).
 */
export function holdShard(deps: AppDeps): MiddlewareHandler<TenantEnv> {
  return async function holdShard(c, next) {
    await readBodyWithin(c, deps.config.bodyTimeoutSeconds);
    const shard = deps.shards.acquire(c.var.tenant);
    c.set("shard", shard);
    try {
      await next();
    } finally {
      deps.shards.release(shard);
    }
  };
}
