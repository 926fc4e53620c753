import type { LoginLimiter } from "../auth/login-limiter.ts";
import type { PasswordHasher } from "../auth/password-hasher.ts";
import type { Viewer } from "../auth/viewer.ts";
import type { Config } from "../config.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ShardManager } from "../tenancy/shard-manager.ts";
import type { Assets } from "./assets.ts";
import type { Logger } from "./logger.ts";

/** The long-lived parts of a running server, made once by createApp and handed to every route factory. */
export interface AppDeps {
  config: Config;
  catalog: Catalog;
  shards: ShardManager;
  hasher: PasswordHasher;
  loginLimiter: LoginLimiter;
  logger: Logger;
  assets: Assets;
  /** Signs pre-login CSRF tokens; shared by every process on the host through the catalog. */
  csrfSecret: string;
  /** True once shutdown has begun: /readyz answers 503 so a load balancer stops sending traffic. */
  isDraining: () => boolean;
  /**
   * The clock every time-based decision on the request path reads (session lifetimes,
   * invitation expiry, the viewer's "today"): Date.now, except where a test advances it.
   */
  now: () => number;
}

export interface BaseVariables {
  requestId: string;
  /** The per-request CSP nonce every script tag and htmx element carries. */
  nonce: string;
  tenant?: Tenant;
}

export type AppEnv = { Variables: BaseVariables };

/** Routes under /t/:tenant: the tenant is resolved and its shard held for the request. */
export type TenantEnv = { Variables: BaseVariables & { tenant: Tenant; shard: Shard; viewer?: Viewer } };

/** Routes that need a signed-in viewer (a user's session or an API key). */
export type ViewerEnv = { Variables: BaseVariables & { tenant: Tenant; shard: Shard; viewer: Viewer } };
