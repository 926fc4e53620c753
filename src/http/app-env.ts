import type { AssetUrls } from "../../views/layouts/page-context.ts";
import type { ClusterMember } from "../cluster/cluster-member.ts";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { Viewer } from "../identity/viewer.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ShardManager } from "../tenancy/shard-manager.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { RateLimits } from "./middleware/rate-limit.ts";

/**
 * The long-lived parts of a running server every route factory may use, made once by the
 * composition root (src/app). A capability that needs more declares its own part (the sign-in
 * routes take `AppDeps & AuthDeps`) and the root hands each factory what it asks for.
 */
export interface AppDeps {
  config: Config;
  catalog: Catalog;
  shards: ShardManager;
  /** The worker threads heavy work runs in (src/workers): never the server's thread. */
  pool: WorkerPool;
  logger: Logger;
  assets: StaticAssets;
  /** Signs pre-login CSRF tokens; shared by every process on the host through the catalog (by every host, in a cluster). */
  csrfSecret: string;
  /**
   * A named secret shared by every process of the host (catalog.secret), or, in a cluster, by
   * every host (derived from the placement's secret), so a cookie one host signed is good on all.
   */
  secret: (name: string) => string;
  /** This host's place in a cluster (src/cluster), when a placement file exists; else single-host mode. */
  cluster?: ClusterMember;
  /** True once shutdown has begun: /readyz answers 503 so a load balancer stops sending traffic. */
  isDraining: () => boolean;
  /**
   * The clock every time-based decision on the request path reads (session lifetimes,
   * invitation expiry, the viewer's "today"): Date.now, except where a test advances it.
   */
  now: () => number;
  /**
   * How many of a user's open tasks are due before `endOfToday` (the top bar's badge). Given by
   * the composition root, so that the kernel every feature imports imports no feature itself.
   */
  countDueTasks: (shard: Shard, userId: number, endOfToday: number) => number;
  /** Requests per client address and per workspace (middleware/rate-limit.ts): per process. */
  rateLimits: RateLimits;
}

/** The static files the pages load, served from memory under content-hashed URLs. */
export interface StaticAssets {
  /** What the page layout links to. */
  readonly urls: AssetUrls;
  /**
   * The file's response in the encoding `acceptEncoding` prefers (304 when `ifNoneMatch` is one
   * of its ETags), or undefined for an unknown name.
   */
  response(
    name: string,
    ifNoneMatch: string | undefined,
    acceptEncoding: string | undefined,
  ): Response | undefined;
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
