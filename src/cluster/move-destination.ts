import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { pack } from "msgpackr";
import { fsyncPath } from "../core/durable-file.ts";
import { AppError } from "../core/errors.ts";
import { TENANTS_DIR } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { frozenSince } from "../tenancy/write-freeze.ts";
import { markWebhookWorkspace, syncWebhookWorkspace } from "../webhooks/webhook-workspaces.ts";
import type { ApplyPagesParams, ApplyPagesResult } from "./apply-pages.worker.ts";
import { clusterFetch } from "./cluster-fetch.ts";
import type { HashPagesParams, HashPagesResult } from "./hash-pages.worker.ts";
import { type HostedTenant, MOVES_DIR, type MoveHost, onShard } from "./move-source.ts";
import { headerPageSize } from "./page-hashes.ts";
import type { ClusterHost } from "./placement.ts";

/** How long a copy or a catch-up may take over the network (a large workspace, a slow link). */
const TRANSFER_MS = 30 * 60_000;

/** The source host, as the destination reaches it: its entry in placement and the cluster's secret. */
export interface SourceHost {
  host: ClusterHost;
  secret: string;
}

/** The files a destination keeps for a move in flight, under data/moves/incoming/. */
function incoming(dataDir: string, tenantId: string) {
  const dir = join(dataDir, MOVES_DIR, "incoming");
  const base = join(dir, tenantId);
  return { dir, copy: `${base}.sqlite`, hashes: `${base}.hashes`, diff: `${base}.diff` };
}

/**
 * The copy or catch-up running in this process, by slug. A second one (a resumed command whose
 * first run was killed while this host worked on) waits for it to end, then runs: each step is
 * safe to run again, and never two at once over the same files.
 */
const running = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(slug: string, work: () => Promise<T>): Promise<T> {
  const before = running.get(slug);
  const mine = (async () => {
    await before?.catch(() => undefined);
    return work();
  })();
  running.set(slug, mine);
  try {
    return await mine;
  } finally {
    if (running.get(slug) === mine) running.delete(slug);
  }
}

async function fromSource(
  source: SourceHost,
  method: string,
  path: string,
  init: { body?: Uint8Array<ArrayBuffer> } = {},
) {
  let response: Response;
  try {
    response = await clusterFetch(source.host, source.secret, method, path, {
      ...init,
      headers: { "Accept-Encoding": "identity", "Content-Type": "application/msgpack" },
      timeoutMs: TRANSFER_MS,
    });
  } catch (error) {
    throw new AppError(
      502,
      "Bad Gateway",
      `host ${source.host.name} did not answer: ${(error as Error).message}`,
    );
  }
  if (!response.ok)
    throw new AppError(
      502,
      "Bad Gateway",
      `host ${source.host.name} answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
    );
  return response;
}

/** The workspace as the source holds it now (its id names every file of the move). */
export async function sourceTenant(source: SourceHost, slug: string): Promise<HostedTenant> {
  return (await (await fromSource(source, "GET", `/_cluster/t/${slug}`)).json()) as HostedTenant;
}

/**
 * Step (a): streams the source's file into data/moves/incoming/<id>.sqlite, then hashes its
 * pages in the pool. The file is live on the source, so the copy may be torn: the catch-up
 * replaces every page that differs.
 */
export function pullCopy(host: MoveHost, source: SourceHost, slug: string) {
  return oneAtATime(slug, async () => {
    const tenant = await sourceTenant(source, slug);
    const paths = incoming(host.config.dataDir, tenant.id);
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const response = await fromSource(source, "GET", `/_cluster/t/${slug}/file`);
    // Unique: with `crm serve --procs`, a resumed copy may run in another process than the first.
    const partial = `${paths.copy}.${process.pid}.${Date.now()}.part`;
    const file = await open(partial, "w", 0o600);
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
        await file.write(chunk);
      await file.sync();
    } finally {
      await file.close();
    }
    const hashed = await host.pool.run<HashPagesResult>(
      "cluster.hash-pages",
      {
        tenantId: tenant.id,
        slug,
        file: `${TENANTS_DIR}/${tenant.id}.sqlite`,
        params: { file: partial, out: `${partial}.hashes` } satisfies HashPagesParams,
      },
      { timeoutMs: TRANSFER_MS, runToEnd: true },
    );
    for (const suffix of ["-wal", "-shm"]) rmSync(paths.copy + suffix, { force: true });
    renameSync(partial, paths.copy);
    renameSync(`${partial}.hashes`, paths.hashes);
    return { tenantId: tenant.id, bytes: hashed.bytes, pageSize: hashed.pageSize };
  });
}

/**
 * Steps (c): with the source frozen, sends it the copy's page hashes, writes the pages it
 * answers over the copy and checks it (in the pool: apply-pages.worker.ts), then installs it
 * as this host's workspace, still frozen. Run again once installed, it answers the same.
 */
export function catchUp(host: MoveHost, source: SourceHost, slug: string) {
  return oneAtATime(slug, async () => {
    const tenant = await sourceTenant(source, slug);
    const installed = host.catalog.findBySlug(slug);
    if (installed?.id === tenant.id && installed.status === "active") {
      // Only this move's installed copy is frozen (until the thaw, after the flip): a writable
      // workspace of that id here (a restore, say) is older than the source's, not caught up.
      if (onShard(host, installed, (shard) => frozenSince(shard.sqlite)) === undefined)
        throw new AppError(
          409,
          "Conflict",
          `${slug} here takes writes already: it is not this move's copy (roll the move back)`,
        );
      return { diffBytes: 0, pages: 0, size: 0 };
    }
    if (tenant.frozenSince === null)
      throw new AppError(409, "Conflict", `${slug} is not frozen on ${source.host.name}: freeze it first`);
    const paths = incoming(host.config.dataDir, tenant.id);
    if (!existsSync(paths.copy) || !existsSync(paths.hashes))
      throw new AppError(409, "Conflict", `no copy of ${slug} here: copy it first`);
    const hashes = await Bun.file(paths.hashes).bytes();
    const pageSize = await copyPageSize(paths.copy);
    const response = await fromSource(source, "POST", `/_cluster/t/${slug}/pages`, {
      body: new Uint8Array(pack({ pageSize, hashes })),
    });
    const diffBytes = await Bun.write(paths.diff, response);
    const applied = await host.pool.run<ApplyPagesResult>(
      "cluster.apply-pages",
      {
        tenantId: tenant.id,
        slug,
        file: `${TENANTS_DIR}/${tenant.id}.sqlite`,
        params: { incoming: paths.copy, diff: paths.diff, hashes: paths.hashes } satisfies ApplyPagesParams,
      },
      { timeoutMs: TRANSFER_MS, runToEnd: true },
    );
    install(host, tenant, paths.copy);
    removeInFlight(host.config.dataDir, tenant.id);
    return {
      diffBytes,
      pages: applied.pages,
      size: applied.size,
      source: response.headers.get("CRM-Diff-Timing"),
      applyMs: applied.applyMs,
      checkMs: applied.checkMs,
    };
  });
}

async function copyPageSize(path: string): Promise<number> {
  try {
    return headerPageSize(await Bun.file(path).slice(0, 100).bytes());
  } catch (error) {
    throw new AppError(409, "Conflict", `the copy is not usable (${(error as Error).message}): copy again`);
  }
}

/** Removes this host's files of a move of `tenantId` in flight (a copy, its hashes, a diff, parts of a killed copy). */
function removeInFlight(dataDir: string, tenantId: string): string[] {
  const { dir } = incoming(dataDir, tenantId);
  if (!existsSync(dir)) return [];
  const mine = readdirSync(dir)
    .filter((name) => name.startsWith(`${tenantId}.`))
    .map((name) => join(dir, name));
  for (const path of mine) rmSync(path, { force: true });
  return mine;
}

/**
 * Puts the checked copy in place and registers the workspace (same id, slug, name). The file
 * gets a name of its own (tenants/<id>.m<time>.sqlite), never the name of a file this host
 * retired when the workspace moved away before: a handle still open on that old file (another
 * process, a pool thread) would take the new file's -wal beside the same name for its own.
 */
function install(host: MoveHost, tenant: HostedTenant, copy: string): void {
  const taken = host.catalog.findBySlug(tenant.slug);
  if (taken && taken.id !== tenant.id)
    throw new AppError(409, "Conflict", `this host already has another workspace at ${tenant.slug}`);
  if (!taken) {
    const file = `${TENANTS_DIR}/${tenant.id}.m${Date.now().toString(36)}.sqlite`;
    renameSync(copy, join(host.config.dataDir, file));
    fsyncPath(join(host.config.dataDir, TENANTS_DIR));
    host.catalog.reserve({
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      file,
      createdAt: tenant.createdAt,
    });
  }
  host.catalog.setStatus(tenant.id, "active");
  const registered = host.catalog.findBySlug(tenant.slug) as Tenant;
  onShard(host, registered, (shard) => syncWebhookWorkspace(host.catalog, shard));
}

/**
 * Rollback before the flip, destination side: removes the move's files in flight and, when the
 * copy was already installed, the workspace, provided it is still frozen (it never took a
 * write here). Returns what was removed.
 */
export function discardMove(host: MoveHost, slug: string, tenantId: string): Promise<string[]> {
  // After a copy or catch-up still running here (its command was killed): else it would leave its files after.
  return oneAtATime(slug, async () => discardNow(host, slug, tenantId));
}

function discardNow(host: MoveHost, slug: string, tenantId: string): string[] {
  const removed = removeInFlight(host.config.dataDir, tenantId);
  const tenant = host.catalog.findBySlug(slug);
  if (tenant?.id === tenantId) {
    const frozen = onShard(host, tenant, (shard) => frozenSince(shard.sqlite));
    if (frozen === undefined)
      throw new AppError(
        409,
        "Conflict",
        `${slug} here takes writes already: it is not an unfinished move's copy`,
      );
    host.catalog.remove(tenant.id);
    markWebhookWorkspace(host.catalog, tenant.id, false);
    host.shards.closeTenant(tenant.id);
    const target = join(host.config.dataDir, tenant.file);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(target + suffix, { force: true });
    removed.push(target);
  }
  return removed;
}
