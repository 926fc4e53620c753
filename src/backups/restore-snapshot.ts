import { Database } from "bun:sqlite";
import { existsSync, linkSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { eq } from "drizzle-orm";
import { MOVES_DIR } from "../cluster/move-source.ts";
import { fsyncPath } from "../core/durable-file.ts";
import { type Catalog, TENANTS_DIR } from "../tenancy/catalog.ts";
import { type Tenant, tenants } from "../tenancy/catalog-schema.ts";
import { loadMigrations, TENANT_MIGRATIONS } from "../tenancy/migrations.ts";
import { openDatabase } from "../tenancy/open-database.ts";
import { frozenSince, unfreezeWrites } from "../tenancy/write-freeze.ts";
import type { CopyFacts } from "./inspect-copy.ts";
import { readManifest, type SnapshotManifest, type SnapshotRef, stampOf } from "./snapshot-files.ts";
import { BadSnapshotError, verifySnapshot } from "./verify-snapshot.ts";

/** A restore that would overwrite or confuse what this host has: nothing was written. */
export class RestoreRefusedError extends Error {}

export interface RestoreResult {
  manifest: SnapshotManifest;
  facts: CopyFacts;
  tenant: Tenant;
  /** Whether the workspace was registered on this host anew (its host was lost) rather than replaced. */
  registered: boolean;
  /** The file the restored one replaced, left in place for the operator. */
  replacedFile?: string;
}

function fileFree(path: string): boolean {
  return ["", "-wal", "-shm", ".part"].every((suffix) => !existsSync(path + suffix));
}

/**
 * Refuses to replace a workspace whose writes a move (`crm cluster move`) has frozen: the
 * restored file would take writes behind the move's back, and the move would then flip to (or
 * retire) a copy without them. Read from the file itself (the move's marker), read-only.
 */
function refuseIfFrozen(catalog: Catalog, tenant: Tenant): void {
  const path = join(catalog.dataDir, tenant.file);
  if (!existsSync(path)) return;
  const db = new Database(path, { readonly: true });
  let since: number | undefined;
  try {
    since = frozenSince(db);
  } finally {
    db.close(false);
  }
  if (since !== undefined)
    throw new RestoreRefusedError(
      `"${tenant.slug}" is being moved (its writes are frozen since ${new Date(since).toISOString()}): finish the move (crm cluster move) or roll it back (--rollback), then restore on the host that serves it`,
    );
}

/**
 * Refuses to register a workspace a move (`crm cluster move`) is bringing to this host (its
 * copy waits in data/moves/incoming/): the move's catch-up would take the restored file, older
 * than the source's, for its own installed copy, and the source's later writes would be lost.
 */
function refuseIfArriving(catalog: Catalog, tenantId: string, slug: string): void {
  const dir = join(catalog.dataDir, MOVES_DIR, "incoming");
  if (existsSync(dir) && readdirSync(dir).some((name) => name.startsWith(`${tenantId}.`)))
    throw new RestoreRefusedError(
      `"${slug}" is being moved to this host (its copy is in ${dir}): finish the move (crm cluster move) or roll it back (--rollback) first`,
    );
}

/**
 * A snapshot taken while a move froze its workspace carries the move's freeze marker; the
 * restored workspace is not being moved, so it takes writes: the marker is cleared in the copy.
 */
function clearFreeze(path: string): void {
  // The server's own opening (WAL, synchronous FULL): closed, its log is copied back and removed.
  const db = openDatabase(path, { create: false });
  try {
    if (frozenSince(db) !== undefined) unfreezeWrites(db);
  } finally {
    db.close(false);
  }
}

/**
 * Installs a snapshot as its workspace on this host (`crm backup restore`). The snapshot is
 * verified as it is decompressed beside the workspaces' files (checksum, integrity_check, its
 * workspace, rows), then installed under a name no file has ever had, and the catalog is
 * pointed at it in one update, so:
 * - a workspace this host does not have (its host was lost) is registered with the snapshot's
 *   id, slug and name;
 * - a workspace it has is replaced only with `force`; every process of a running server opens
 *   the new file at its next request (the shard manager sees the catalog name another file) and
 *   closes the old one cleanly. The old file is never overwritten: a server still holding it
 *   open, its write-ahead log and shared memory stay the old file's (putting another file at
 *   that path could let them be applied to it), and it stays for the operator to delete.
 * - a workspace a move has frozen is never replaced (finish or roll back the move first), and
 *   a snapshot taken during a move's freeze is installed writable; nor is a workspace a move is
 *   bringing here registered.
 * A refusal or a bad snapshot writes nothing.
 */
export async function restoreSnapshot(
  catalog: Catalog,
  ref: SnapshotRef,
  options: { force: boolean; now?: number },
): Promise<RestoreResult> {
  let manifest: SnapshotManifest;
  try {
    manifest = readManifest(ref);
  } catch (error) {
    throw new BadSnapshotError(ref, (error as Error).message);
  }
  const existing = catalog.findBySlug(manifest.slug);
  const sameId = catalog.list().find((t) => t.id === manifest.tenantId);
  if (existing && existing.id !== manifest.tenantId)
    throw new RestoreRefusedError(
      `"${manifest.slug}" on this host is another workspace (${existing.id}) than the snapshot's (${manifest.tenantId})`,
    );
  if (!existing && sameId)
    throw new RestoreRefusedError(
      `the snapshot's workspace ${manifest.tenantId} is on this host as "${sameId.slug}"`,
    );
  if (existing && !options.force)
    throw new RestoreRefusedError(
      `"${manifest.slug}" exists on this host: --force replaces its data with the snapshot's (writes after ${manifest.takenAt} are then gone from it)`,
    );
  if (existing) refuseIfFrozen(catalog, existing);
  else refuseIfArriving(catalog, manifest.tenantId, manifest.slug);
  const known = loadMigrations(TENANT_MIGRATIONS).length;
  if (manifest.schemaVersion > known)
    throw new RestoreRefusedError(
      `the snapshot is at schema version ${manifest.schemaVersion}, newer than this build knows (${known}); upgrade first`,
    );
  const plain = `${TENANTS_DIR}/${manifest.tenantId}.sqlite`;
  const file =
    !existing && fileFree(join(catalog.dataDir, plain))
      ? plain
      : `${TENANTS_DIR}/${manifest.tenantId}-restored-${stampOf(options.now ?? Date.now())}.sqlite`;
  const path = join(catalog.dataDir, file);
  if (!fileFree(path)) throw new RestoreRefusedError(`${path} exists; try again in a moment`);
  const { facts } = await verifySnapshot(ref, `${path}.part`);
  try {
    clearFreeze(`${path}.part`);
    // A move may have frozen it while the snapshot was checked.
    if (existing) refuseIfFrozen(catalog, existing);
    else refuseIfArriving(catalog, manifest.tenantId, manifest.slug);
    linkSync(`${path}.part`, path);
  } finally {
    rmSync(`${path}.part`, { force: true });
  }
  fsyncPath(dirname(path));
  try {
    if (existing) {
      catalog.db
        .update(tenants)
        .set({ file, status: "active", failure: null, failedAt: null })
        .where(eq(tenants.id, existing.id))
        .run();
      return {
        manifest,
        facts,
        tenant: { ...existing, file },
        registered: false,
        replacedFile: existing.file,
      };
    }
    const tenant = catalog.reserve({
      id: manifest.tenantId,
      slug: manifest.slug,
      name: manifest.name,
      file,
      createdAt: manifest.createdAt,
    });
    catalog.setStatus(tenant.id, "active");
    return { manifest, facts, tenant: { ...tenant, status: "active" }, registered: true };
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  }
}
