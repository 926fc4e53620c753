import { linkSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fsyncPath, writeNewFileDurably } from "../core/durable-file.ts";
import { copyWorkspace } from "../privacy/workspace-snapshot.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { compressFile } from "./compressed-file.ts";
import { inspectCopy } from "./inspect-copy.ts";
import { isSlug, MANIFEST_FORMAT, type SnapshotManifest, snapshotRef, stampOf } from "./snapshot-files.ts";

export interface SnapshotParams {
  /** The backup directory; the snapshot goes in its `<slug>/` folder. */
  dir: string;
  /** The workspace's name and creation time, from the catalog, for the manifest. */
  name: string;
  createdAt: number;
  /** This host's name in its cluster, if it is in one (else the machine's name is written). */
  host?: string;
}

/** Makes `path` a folder readable by this user only (the snapshots hold password hashes and keys). */
function privateFolder(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/**
 * backups.snapshot: one snapshot of a workspace into the backup directory (`crm backup now`,
 * the server's schedule). SQLite's `VACUUM INTO` reads one consistent snapshot while writers
 * carry on; the copy must pass integrity_check; it is compressed with zstd and hashed (SHA-256)
 * here, in the worker; the manifest says what is in it. Each file is written as `.part` and
 * given its name by a link (which never replaces a file), the manifest before the snapshot it
 * describes, so a snapshot that has its name has its manifest (a manifest alone is debris the
 * next pruning removes). Whatever fails, nothing but whole files is left.
 */
const snapshotTask: TaskHandler<SnapshotParams, SnapshotManifest> = async (
  { tenantId, slug, params },
  context,
) => {
  // The slug names a folder: only ever one the catalog allows.
  if (!isSlug(slug)) throw new Error(`"${slug}" is not a workspace's address`);
  const folder = join(params.dir, slug);
  privateFolder(params.dir);
  privateFolder(folder);
  // Every write acknowledged before this instant is in the copy: its recovery point.
  const takenAt = Date.now();
  const ref = snapshotRef(params.dir, slug, stampOf(takenAt));
  const raw = `${ref.path}.sqlite.part`;
  const part = `${ref.path}.part`;
  const manifestPart = `${ref.manifestPath}.part`;
  let linked = false;
  const removeParts = () => {
    for (const path of [raw, part, manifestPart]) rmSync(path, { force: true });
  };
  try {
    copyWorkspace(context.shard("write"), raw);
    const facts = inspectCopy(raw);
    if (facts.integrity !== "ok") throw new Error(`the copy failed its integrity check: ${facts.integrity}`);
    const digest = await compressFile(raw, part);
    const manifest: SnapshotManifest = {
      format: MANIFEST_FORMAT,
      tenantId,
      slug,
      name: params.name,
      createdAt: params.createdAt,
      takenAt: new Date(takenAt).toISOString(),
      host: params.host ?? hostname(),
      file: ref.path.slice(folder.length + 1),
      compression: "zstd",
      sourceBytes: statSync(raw).size,
      bytes: digest.bytes,
      sha256: digest.sha256,
      rows: facts.rows,
      schemaVersion: facts.schemaVersion,
      integrity: "ok",
    };
    // Readable by this user only; its folder is fsynced once, after both links below.
    writeNewFileDurably(manifestPart, `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: 0o600,
      syncFolder: false,
    });
    linkSync(manifestPart, ref.manifestPath);
    linked = true;
    linkSync(part, ref.path);
    fsyncPath(folder);
    return manifest;
  } catch (error) {
    if (linked) rmSync(ref.manifestPath, { force: true });
    removeParts();
    // A workspace's first snapshot failed: no empty folder is left to list.
    if (readdirSync(folder).length === 0) rmdirSync(folder);
    throw error;
  } finally {
    removeParts();
  }
};

export default snapshotTask;
