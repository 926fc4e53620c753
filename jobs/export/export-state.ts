import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "./durable-files.ts";
import {
  firstIdOf,
  INTERACTIONS,
  partFile,
  partitionDir,
  snapshotPath,
  statePath,
} from "./warehouse-layout.ts";

/**
 * What the warehouse holds of a tenant, written last, after its files: the last interaction id
 * exported, and its part files as `YYYY-MM-DD/<firstId>` (so a missing one can be named).
 */
export interface TenantState {
  watermark: number;
  parts: string[];
  /**
   * What the snapshots were taken from: the file's change counter (shard_state, bumped by every
   * write transaction) and the key's fingerprint. Both unchanged: the snapshots are current.
   */
  snapshotOf?: string;
  /**
   * Each file's size in bytes when it was renamed into place: parts by their entry, snapshots
   * by their table. A file whose size differs (or that is gone) is damaged: the export rebuilds
   * the tenant. States written before sizes were recorded lack them: those files are checked
   * for existence only, and their size is recorded at the next write of the state.
   */
  sizes?: Record<string, number>;
  snapshotSizes?: Record<string, number>;
}

const sizeRecord = (value: unknown): Record<string, number> | undefined => {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter(([, v]) => Number.isSafeInteger(v) && (v as number) >= 0);
  return Object.fromEntries(entries) as Record<string, number>;
};

export function readState(warehouse: string, tenantId: string): TenantState {
  const path = statePath(warehouse, tenantId);
  if (!existsSync(path)) return { watermark: 0, parts: [] };
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<TenantState>;
  if (!Number.isSafeInteger(parsed.watermark) || (parsed.watermark as number) < 0)
    throw new Error(`${path}: no valid watermark`);
  const parts = Array.isArray(parsed.parts) ? parsed.parts.filter((p) => typeof p === "string") : [];
  const snapshotOf = typeof parsed.snapshotOf === "string" ? parsed.snapshotOf : undefined;
  const sizes = sizeRecord(parsed.sizes);
  const snapshotSizes = sizeRecord(parsed.snapshotSizes);
  return {
    watermark: parsed.watermark as number,
    parts,
    ...(snapshotOf ? { snapshotOf } : {}),
    ...(sizes ? { sizes } : {}),
    ...(snapshotSizes ? { snapshotSizes } : {}),
  };
}

/** A state's part entry, `YYYY-MM-DD/<firstId>`. */
export const partEntry = (day: string, firstId: number) => `${day}/${firstId}`;

export function splitPartEntry(entry: string): { day: string; firstId: number } {
  const [day = "", firstId = ""] = entry.split("/");
  return { day, firstId: Number(firstId) };
}

/** A part entry's file. */
export function partPath(warehouse: string, tenantId: string, entry: string): string {
  const { day, firstId } = splitPartEntry(entry);
  return join(partitionDir(warehouse, day, tenantId), partFile(firstId));
}

/** A file's size, or undefined when it is gone (one stat). */
export function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/**
 * The tenant's recorded part files that are gone or whose size is not the one recorded (one
 * stat each): any means the interactions must be rebuilt.
 */
export function damagedParts(warehouse: string, tenantId: string, state: TenantState): string[] {
  const damaged: string[] = [];
  for (const entry of state.parts) {
    const path = partPath(warehouse, tenantId, entry);
    const size = fileSize(path);
    const recorded = state.sizes?.[entry];
    if (size === undefined || (recorded !== undefined && size !== recorded)) damaged.push(path);
  }
  return damaged;
}

/** The tenant's snapshots that are gone or changed since recorded: they must be retaken. */
export function damagedSnapshots(
  warehouse: string,
  tenantId: string,
  state: TenantState,
  dimensions: string[],
): string[] {
  const damaged: string[] = [];
  for (const dimension of dimensions) {
    const path = snapshotPath(warehouse, dimension, tenantId);
    const size = fileSize(path);
    const recorded = state.snapshotSizes?.[dimension];
    if (size === undefined || (recorded !== undefined && size !== recorded)) damaged.push(path);
  }
  return damaged;
}

export function writeState(warehouse: string, tenantId: string, state: TenantState): void {
  writeFileDurably(statePath(warehouse, tenantId), `${JSON.stringify(state)}\n`);
}

/** A part file of a tenant already in the warehouse. */
export interface ExistingPart {
  path: string;
  firstId: number;
}

const isDir = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * After a run that stopped half way: removes its temporaries (files starting with `prefix`) in
 * every partition and snapshot folder, and returns every tenant's part files, by tenant id.
 */
export function sweepWarehouse(
  warehouse: string,
  prefix: string,
  dimensions: string[],
): Map<string, ExistingPart[]> {
  const parts = new Map<string, ExistingPart[]>();
  for (const dimension of dimensions) {
    const root = join(warehouse, dimension);
    if (!isDir(root)) continue;
    for (const tenant of readdirSync(root)) {
      const folder = join(root, tenant);
      if (!isDir(folder)) continue;
      for (const file of readdirSync(folder))
        if (file.startsWith(prefix)) rmSync(join(folder, file), { force: true });
    }
  }
  const root = join(warehouse, INTERACTIONS);
  if (!isDir(root)) return parts;
  for (const day of readdirSync(root)) {
    if (!day.startsWith("day=")) continue;
    for (const tenant of readdirSync(join(root, day))) {
      if (!tenant.startsWith("tenant=")) continue;
      const tenantId = tenant.slice("tenant=".length);
      const folder = join(root, day, tenant);
      for (const file of readdirSync(folder)) {
        if (file.startsWith(prefix)) {
          rmSync(join(folder, file), { force: true });
          continue;
        }
        const firstId = firstIdOf(file);
        const list = parts.get(tenantId) ?? [];
        // Anything else in a partition (a stray temporary) counts as past every watermark: it goes.
        list.push({ path: join(folder, file), firstId: firstId ?? Number.MAX_SAFE_INTEGER });
        parts.set(tenantId, list);
      }
    }
  }
  return parts;
}

/** One tenant's part files (a rebuild): a look into each day's folder for the tenant's. */
export function listTenantParts(warehouse: string, tenantId: string): ExistingPart[] {
  const root = join(warehouse, INTERACTIONS);
  if (!isDir(root)) return [];
  const parts: ExistingPart[] = [];
  for (const day of readdirSync(root)) {
    const folder = join(root, day, `tenant=${tenantId}`);
    if (!day.startsWith("day=") || !existsSync(folder)) continue;
    for (const file of readdirSync(folder))
      parts.push({ path: join(folder, file), firstId: firstIdOf(file) ?? Number.MAX_SAFE_INTEGER });
  }
  return parts;
}

/** Removes parts past `watermark` (a run that stopped before recording it), or all of them for a rebuild. */
export function removeParts(parts: ExistingPart[], watermark: number): number {
  let removed = 0;
  for (const part of parts) {
    if (part.firstId <= watermark) continue;
    rmSync(part.path, { force: true });
    removed++;
  }
  return removed;
}
