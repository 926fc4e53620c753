import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { unpack } from "msgpackr";
import { AppError, BadRequestError, NotFoundError } from "../core/errors.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import { TENANTS_DIR } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { isLocked } from "../tenancy/locked.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { ShardManager } from "../tenancy/shard-manager.ts";
import { freezeWrites, frozenSince, unfreezeWrites } from "../tenancy/write-freeze.ts";
import { markWebhookWorkspace } from "../webhooks/webhook-workspaces.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { DiffPagesParams, DiffPagesResult } from "./diff-pages.worker.ts";

/** What a host's side of a move needs: its data directory, catalog, open files and worker pool. */
export interface MoveHost {
  config: { dataDir: string };
  catalog: Catalog;
  shards: ShardManager;
  pool: WorkerPool;
}

/** A workspace as one host holds it, for `crm cluster move` (GET /_cluster/t/<slug>). */
export interface HostedTenant {
  id: string;
  slug: string;
  name: string;
  createdAt: number;
  /** Since when its writes are frozen (ms), or null. */
  frozenSince: number | null;
  bytes: number;
}

/** Where a moved-away workspace's file is kept (README: "Moving a tenant" says how long, and how to purge). */
export const RETIRED_DIR = "retired";
/** Where the two ends of a move keep their files in flight. */
export const MOVES_DIR = "moves";

const TENANT_ID = /^[a-z2-7]{16}$/;

/** The tenant id a move request names (`?tenant=`), checked: it becomes part of a path. */
export function tenantIdParam(value: string | undefined): string {
  if (!value || !TENANT_ID.test(value)) throw new BadRequestError("tenant must be a workspace id", "tenant");
  return value;
}

/** Runs `fn` on the tenant's shard, held for the (synchronous) call. */
export function onShard<T>(
  host: MoveHost,
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  fn: (shard: Shard) => T,
): T {
  const shard = host.shards.acquire(tenant);
  try {
    return fn(shard);
  } finally {
    host.shards.release(shard);
  }
}

/** The active workspace at `slug` on this host, or 404. */
export function hostedTenant(host: MoveHost, slug: string): Tenant {
  const tenant = host.catalog.findBySlug(slug);
  if (tenant?.status !== "active") throw new NotFoundError(`workspace ${slug} on this host`);
  return tenant;
}

export function describeTenant(host: MoveHost, tenant: Tenant): HostedTenant {
  return onShard(host, tenant, (shard) => ({
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    createdAt: tenant.createdAt,
    frozenSince: frozenSince(shard.sqlite) ?? null,
    bytes: statSync(join(host.config.dataDir, tenant.file)).size,
  }));
}

/**
 * Runs a small write on the server's thread, waiting on a timer (never on the thread) while
 * another connection holds the file's lock: a worker's long write only delays a freeze.
 */
async function whenUnlocked<T>(write: () => T, withinMs = 30_000): Promise<T> {
  const until = Date.now() + withinMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
    try {
      return write();
    } catch (error) {
      if (!isLocked(error) || Date.now() > until) throw error;
      await Bun.sleep(wait);
    }
  }
}

/** Freezes the workspace's writes (idempotent); returns since when they are frozen. */
export function freezeTenant(host: MoveHost, tenant: Tenant): Promise<number> {
  return whenUnlocked(() => onShard(host, tenant, (shard) => freezeWrites(shard.sqlite)));
}

/** Accepts the workspace's writes again (idempotent). */
export async function thawTenant(host: MoveHost, tenant: Tenant): Promise<void> {
  await whenUnlocked(() => onShard(host, tenant, (shard) => unfreezeWrites(shard.sqlite)));
}

/**
 * The catch-up's answer to the destination's page hashes (a msgpackr DiffPages): worked out in
 * the pool (a FULL checkpoint that may wait, then reading the whole file), written to a file
 * there, read back here without blocking and removed.
 */
export async function diffForDestination(
  host: MoveHost,
  tenant: Tenant,
  body: Uint8Array,
): Promise<{ packed: Uint8Array; result: DiffPagesResult }> {
  let asked: { pageSize?: unknown; hashes?: unknown };
  try {
    asked = unpack(body) as typeof asked;
  } catch {
    throw new BadRequestError("the body is not msgpack");
  }
  if (!Number.isInteger(asked?.pageSize) || !(asked.hashes instanceof Uint8Array))
    throw new BadRequestError("expected { pageSize, hashes }");
  const dir = join(host.config.dataDir, MOVES_DIR, "outgoing");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out = join(dir, `${tenant.id}.${process.pid}.${Date.now()}.diff`);
  try {
    const result = await host.pool.run<DiffPagesResult>(
      "cluster.diff-pages",
      {
        tenantId: tenant.id,
        slug: tenant.slug,
        file: tenant.file,
        params: { pageSize: asked.pageSize as number, hashes: asked.hashes, out } satisfies DiffPagesParams,
      },
      { timeoutMs: 10 * 60_000, runToEnd: true },
    );
    return { packed: await Bun.file(out).bytes(), result };
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * Takes a workspace that moved away off this host: out of the catalog (so no process here
 * serves it again) and its file, with its -wal and -shm, set aside under data/retired/, frozen
 * as it was, kept for an operator. Only a frozen workspace is retired (a move froze it, and the
 * destination holds every write it acknowledged). Idempotent: run again after a crash half-way,
 * it sets aside a file the catalog no longer names. Returns where the file went, if anywhere.
 */
export function retireTenant(host: MoveHost, slug: string, tenantId: string): string | undefined {
  const tenant = host.catalog.findBySlug(slug);
  if (tenant && tenant.id !== tenantId)
    throw new AppError(409, "Conflict", `workspace ${slug} here is ${tenant.id}, not ${tenantId}`);
  if (tenant) {
    const frozen = onShard(host, tenant, (shard) => frozenSince(shard.sqlite));
    if (frozen === undefined)
      throw new AppError(409, "Conflict", `workspace ${slug} is not frozen here: it was not moved away`);
    host.catalog.remove(tenant.id);
    markWebhookWorkspace(host.catalog, tenant.id, false);
  }
  host.shards.closeTenant(tenantId);
  // The catalog's file; after a retire cut short (the entry gone, the file not yet aside), any
  // file of this workspace no entry names.
  const tenantsDir = join(host.config.dataDir, TENANTS_DIR);
  const files = tenant
    ? [join(host.config.dataDir, tenant.file)]
    : readdirSync(tenantsDir)
        .filter((name) => name.startsWith(`${tenantId}.`) && name.endsWith(".sqlite"))
        .map((name) => join(tenantsDir, name));
  const retired = join(host.config.dataDir, RETIRED_DIR);
  mkdirSync(retired, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let aside: string | undefined;
  for (const [i, file] of files.entries()) {
    if (!existsSync(file)) continue;
    aside = join(retired, `${slug}.${tenantId}.${stamp}${i > 0 ? `.${i}` : ""}.sqlite`);
    renameSync(file, aside);
    for (const suffix of ["-wal", "-shm"])
      if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  }
  return aside;
}
