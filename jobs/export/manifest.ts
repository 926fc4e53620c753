import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "../../src/core/durable-file.ts";
import { AppError } from "../../src/core/errors.ts";
import {
  bucketOf,
  bucketOfFolder,
  DIMENSIONS,
  INTERACTIONS,
  isBucketFile,
  isSafeTenantId,
  MANIFEST,
  STATE_DIR,
  splitFile,
} from "./warehouse-layout.ts";

/**
 * A manifest that cannot be trusted (not JSON, cut short, an entry that is not a warehouse
 * file): readers refuse with one line (exit 2); the next export rebuilds the warehouse from
 * the workspaces' files, reading none of the paths it lists.
 */
export class ManifestError extends AppError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(
      409,
      "Conflict",
      `${path} is not a valid warehouse manifest (${reason}); the next crm analytics export rebuilds the warehouse from the workspaces' files`,
    );
  }
}

/** What the warehouse holds of a tenant. */
export interface TenantEntry {
  /** The last log id exported. */
  watermark: number;
  /**
   * What its snapshot rows were taken from (snapshotMark): the file's change counter
   * (shard_state, bumped by every write transaction), the key's fingerprint and, when the file
   * has them, the marks of the tables the snapshots read.
   */
  snapshotOf?: string;
  /**
   * The fingerprint of the log's row at the watermark (TenantReader.rowMark): a file whose row
   * there is gone or another is exported again from zero. Absent in manifests written before it.
   */
  lastRow?: string;
}

/**
 * A tenant entry's `snapshotOf`: `<change counter>/<key fingerprint>[/<marks>]` (marks:
 * TenantReader.marks). The counter comes first: the nightly run's write-back moves it past its
 * own write (jobs/run/write-back-state.ts).
 */
export function snapshotMark(counter: number, keyId: string, marks: string | undefined): string {
  return marks === undefined ? `${counter}/${keyId}` : `${counter}/${keyId}/${marks}`;
}

/**
 * The dimensions whose snapshot rows must be taken again, from the mark they were taken at
 * (`previous`, none: never taken) and the file's mark now. With marks both times (same schema):
 * exactly the dimensions whose mark moved, and `workspace` with any (its `exported_at` says when
 * the workspace's snapshots were last taken). Without marks either time: all of them. A new
 * key, or rows read from zero: all of them.
 */
export function dimensionsToRetake(
  previous: string | undefined,
  current: string,
  fromZero: boolean,
): string[] {
  const all = DIMENSIONS.map((d) => d.name);
  if (fromZero || previous === undefined) return all;
  const [, keyBefore, marksBefore] = previous.split("/");
  const [, keyNow, marksNow] = current.split("/");
  if (keyBefore !== keyNow) return all;
  // A file whose marks cannot be trusted (a trigger missing) may have changed in any way, even
  // by hand (no change counter moved): all of them, every time, until its marks are whole.
  if (marksBefore === undefined || marksNow === undefined) return all;
  const [schemaBefore, listBefore = ""] = marksBefore.split(":");
  const [schemaNow, listNow = ""] = marksNow.split(":");
  const before = listBefore.split(".");
  const now = listNow.split(".");
  if (schemaBefore !== schemaNow || before.length !== all.length || now.length !== all.length) return all;
  const changed = all.filter((_, i) => before[i] !== now[i]);
  if (changed.length > 0 && !changed.includes("workspace")) changed.push("workspace");
  return changed;
}

/**
 * The warehouse's truth (`_state/manifest.json`), written durably as the last step of an export:
 * every live file (relative path → size in bytes when it was renamed into place) and each
 * tenant's entry. A file it does not list is not the warehouse's (a stopped export's): readers
 * never read it, and the next export removes it. `next` numbers the next file written.
 */
export interface Manifest {
  version: 1;
  next: number;
  /** Exports that wrote this manifest so far: a bucket's compaction night comes from it. */
  night?: number;
  files: Record<string, number>;
  tenants: Record<string, TenantEntry>;
  /**
   * The files this manifest's export replaced (listed by the manifest before it, no longer):
   * kept on disk for the readers that took the previous manifest, deleted by the next export.
   */
  retired?: string[];
}

export const TABLES = [INTERACTIONS, ...DIMENSIONS.map((d) => d.name)];

export const emptyManifest = (): Manifest => ({ version: 1, next: 1, files: {}, tenants: {} });

/**
 * The manifest, or undefined when the warehouse has none (empty, or in the layout before
 * buckets). A manifest that is not exactly what writeManifest writes (not JSON, a file entry
 * that is not `<table>/bucket=NN/(part|snapshot)-<n>.parquet`, a bad watermark) throws
 * ManifestError: none of its paths is ever read.
 */
export function readManifest(warehouse: string): Manifest | undefined {
  const path = join(warehouse, MANIFEST);
  if (!existsSync(path)) return undefined;
  let parsed: Partial<Manifest>;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<Manifest>;
  } catch (error) {
    throw new ManifestError(path, `not JSON: ${String((error as Error).message).split("\n")[0]}`);
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    parsed.version !== 1 ||
    !Number.isSafeInteger(parsed.next) ||
    typeof parsed.files !== "object" ||
    parsed.files === null ||
    (parsed.tenants !== undefined && (typeof parsed.tenants !== "object" || parsed.tenants === null))
  )
    throw new ManifestError(path, "not a manifest's fields");
  const files: Record<string, number> = {};
  for (const [file, size] of Object.entries(parsed.files)) {
    if (!isBucketFile(file)) throw new ManifestError(path, `${JSON.stringify(file)} is not a warehouse file`);
    if (!Number.isSafeInteger(size) || (size as number) < 0)
      throw new ManifestError(path, `no valid size for ${file}`);
    files[file] = size as number;
  }
  if (parsed.retired !== undefined && !Array.isArray(parsed.retired))
    throw new ManifestError(path, "retired is not a list");
  const retired: string[] = [];
  for (const file of parsed.retired ?? []) {
    if (typeof file !== "string" || !isBucketFile(file) || file in files)
      throw new ManifestError(path, `${JSON.stringify(file)} is not a retired warehouse file`);
    retired.push(file);
  }
  const tenants: Record<string, TenantEntry> = {};
  for (const [id, entry] of Object.entries(parsed.tenants ?? {})) {
    if (!isSafeTenantId(id)) throw new ManifestError(path, `${JSON.stringify(id)} is not a workspace id`);
    if (!Number.isSafeInteger(entry?.watermark) || entry.watermark < 0)
      throw new ManifestError(path, `no valid watermark for ${id}`);
    tenants[id] = {
      watermark: entry.watermark,
      ...(typeof entry.snapshotOf === "string" ? { snapshotOf: entry.snapshotOf } : {}),
      ...(typeof entry.lastRow === "string" && /^[0-9a-f]{32}$/.test(entry.lastRow)
        ? { lastRow: entry.lastRow }
        : {}),
    };
  }
  const night =
    Number.isSafeInteger(parsed.night) && (parsed.night as number) >= 0 ? parsed.night : undefined;
  return {
    version: 1,
    next: parsed.next as number,
    ...(night === undefined ? {} : { night }),
    files,
    tenants,
    ...(retired.length > 0 ? { retired } : {}),
  };
}

/** Writes the manifest whole (temporary name, fsync, rename, fsync of `_state`), keys sorted. */
export function writeManifest(warehouse: string, manifest: Manifest): void {
  const sorted = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const body = { ...manifest, files: sorted(manifest.files), tenants: sorted(manifest.tenants) };
  writeFileDurably(join(warehouse, MANIFEST), `${JSON.stringify(body)}\n`);
}

/** The listed files (relative paths) of a table, in one bucket or all, in name order. */
export function listedFiles(manifest: Manifest, table: string, bucket?: number): string[] {
  return Object.keys(manifest.files)
    .filter((file) => {
      const at = splitFile(file);
      return at.table === table && (bucket === undefined || at.bucket === bucket);
    })
    .sort();
}

/** The listed files of a table that can hold a tenant's rows: its bucket's. */
export const tenantFiles = (manifest: Manifest, table: string, tenantId: string) =>
  listedFiles(manifest, table, bucketOf(tenantId));

/** A file's size, or undefined when it is gone (one stat). */
export function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** The listed files that are gone or whose size is not the one listed (one stat each), by bucket. */
export function damagedFiles(warehouse: string, manifest: Manifest): Map<number, string[]> {
  const damaged = new Map<number, string[]>();
  for (const [file, size] of Object.entries(manifest.files)) {
    if (fileSize(join(warehouse, file)) === size) continue;
    const { bucket } = splitFile(file);
    damaged.set(bucket, [...(damaged.get(bucket) ?? []), join(warehouse, file)]);
  }
  return damaged;
}

/**
 * Whether `path` is a real folder of the warehouse. A symbolic link where a warehouse folder
 * belongs is never followed: the link itself is removed (counted in `removed`), never what it
 * points to, so no file outside the warehouse is ever deleted through it.
 */
function realFolder(path: string, removed: { n: number }): boolean {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return false;
  }
  if (stat.isSymbolicLink()) {
    unlinkSync(path);
    removed.n++;
    return false;
  }
  return stat.isDirectory();
}

/** Removes a folder's entry: a link or a file itself (rmSync never follows a link). */
function removeEntry(path: string, removed: { n: number }): void {
  rmSync(path, { recursive: true, force: true });
  removed.n++;
}

/**
 * Removes every file of the tables' bucket folders that the manifest does not list, as live
 * or retired (what a stopped export wrote: temporaries and files renamed into place before its
 * manifest). With
 * `oldLayout`, also everything else under the tables (the folders of the layout before
 * buckets) and the per-tenant states of `_state`: only once a manifest is written. Never
 * follows a symbolic link: a table or bucket folder that is one is removed as a link (its
 * target untouched), and `_state` reached through one is left alone.
 */
export function sweepWarehouse(warehouse: string, manifest: Manifest, oldLayout: boolean): number {
  const removed = { n: 0 };
  const retired = new Set(manifest.retired ?? []);
  for (const table of TABLES) {
    const root = join(warehouse, table);
    if (!realFolder(root, removed)) continue;
    for (const entry of readdirSync(root)) {
      const path = join(root, entry);
      if (bucketOfFolder(entry) === undefined) {
        if (oldLayout) removeEntry(path, removed);
        continue;
      }
      if (!realFolder(path, removed)) continue;
      for (const file of readdirSync(path)) {
        const name = `${table}/${entry}/${file}`;
        if (!(name in manifest.files) && !retired.has(name)) removeEntry(join(path, file), removed);
      }
    }
  }
  const state = join(warehouse, STATE_DIR);
  if (oldLayout && lstatSync(state, { throwIfNoEntry: false })?.isDirectory())
    for (const file of readdirSync(state))
      if (file.endsWith(".json") && `${STATE_DIR}/${file}` !== MANIFEST) {
        rmSync(join(state, file), { force: true });
        removed.n++;
      }
  return removed.n;
}

/**
 * Deletes the files the manifest lists as retired (replaced by the export that wrote it, kept
 * for the readers that took the manifest before): by the next export, after its sweep (which
 * made sure no bucket folder is a link). Never a file the manifest lists as live.
 */
export function deleteRetired(warehouse: string, manifest: Manifest): number {
  let removed = 0;
  for (const file of manifest.retired ?? []) {
    if (!isBucketFile(file) || file in manifest.files) continue;
    rmSync(join(warehouse, file), { force: true });
    removed++;
  }
  return removed;
}
