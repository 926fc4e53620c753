import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "./durable-files.ts";
import {
  bucketOf,
  bucketOfFolder,
  DIMENSIONS,
  INTERACTIONS,
  MANIFEST,
  STATE_DIR,
  splitFile,
} from "./warehouse-layout.ts";

/** What the warehouse holds of a tenant. */
export interface TenantEntry {
  /** The last log id exported. */
  watermark: number;
  /**
   * What its snapshot rows were taken from: the file's change counter (shard_state, bumped by
   * every write transaction) and the key's fingerprint. Both unchanged: they are current.
   */
  snapshotOf?: string;
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
  files: Record<string, number>;
  tenants: Record<string, TenantEntry>;
}

export const TABLES = [INTERACTIONS, ...DIMENSIONS.map((d) => d.name)];

export const emptyManifest = (): Manifest => ({ version: 1, next: 1, files: {}, tenants: {} });

/** The manifest, or undefined when the warehouse has none (empty, or in the layout before buckets). */
export function readManifest(warehouse: string): Manifest | undefined {
  const path = join(warehouse, MANIFEST);
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<Manifest>;
  if (parsed.version !== 1 || !Number.isSafeInteger(parsed.next) || typeof parsed.files !== "object")
    throw new Error(`${path}: not a warehouse manifest`);
  const files: Record<string, number> = {};
  for (const [file, size] of Object.entries(parsed.files ?? {}))
    if (Number.isSafeInteger(size) && splitFile(file).bucket >= 0) files[file] = size as number;
  const tenants: Record<string, TenantEntry> = {};
  for (const [id, entry] of Object.entries(parsed.tenants ?? {})) {
    if (!Number.isSafeInteger(entry?.watermark) || entry.watermark < 0)
      throw new Error(`${path}: no valid watermark for ${id}`);
    tenants[id] = {
      watermark: entry.watermark,
      ...(typeof entry.snapshotOf === "string" ? { snapshotOf: entry.snapshotOf } : {}),
    };
  }
  return { version: 1, next: parsed.next as number, files, tenants };
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

const isDir = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * Removes every file of the tables' bucket folders that the manifest does not list (what a
 * stopped export wrote: temporaries and files renamed into place before its manifest). With
 * `oldLayout`, also everything else under the tables (the folders of the layout before
 * buckets) and the per-tenant states of `_state`: only once a manifest is written.
 */
export function sweepWarehouse(warehouse: string, manifest: Manifest, oldLayout: boolean): number {
  let removed = 0;
  for (const table of TABLES) {
    const root = join(warehouse, table);
    if (!isDir(root)) continue;
    for (const entry of readdirSync(root)) {
      const path = join(root, entry);
      if (bucketOfFolder(entry) === undefined) {
        if (oldLayout) {
          rmSync(path, { recursive: true, force: true });
          removed++;
        }
        continue;
      }
      for (const file of readdirSync(path)) {
        if (`${table}/${entry}/${file}` in manifest.files) continue;
        rmSync(join(path, file), { recursive: true, force: true });
        removed++;
      }
    }
  }
  const state = join(warehouse, STATE_DIR);
  if (oldLayout && isDir(state))
    for (const file of readdirSync(state))
      if (file.endsWith(".json") && `${STATE_DIR}/${file}` !== MANIFEST) {
        rmSync(join(state, file), { force: true });
        removed++;
      }
  return removed;
}
