import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "./durable-files.ts";
import { firstIdOf, INTERACTIONS, statePath } from "./warehouse-layout.ts";

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
}

export function readState(warehouse: string, tenantId: string): TenantState {
  const path = statePath(warehouse, tenantId);
  if (!existsSync(path)) return { watermark: 0, parts: [] };
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<TenantState>;
  if (!Number.isSafeInteger(parsed.watermark) || (parsed.watermark as number) < 0)
    throw new Error(`${path}: no valid watermark`);
  const parts = Array.isArray(parsed.parts) ? parsed.parts.filter((p) => typeof p === "string") : [];
  const snapshotOf = typeof parsed.snapshotOf === "string" ? parsed.snapshotOf : undefined;
  return { watermark: parsed.watermark as number, parts, ...(snapshotOf ? { snapshotOf } : {}) };
}

/** A state's part entry, `YYYY-MM-DD/<firstId>`. */
export const partEntry = (day: string, firstId: number) => `${day}/${firstId}`;

export function splitPartEntry(entry: string): { day: string; firstId: number } {
  const [day = "", firstId = ""] = entry.split("/");
  return { day, firstId: Number(firstId) };
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
