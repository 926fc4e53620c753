import { join } from "node:path";
import { listedFiles, type Manifest } from "./manifest.ts";
import type { BucketWrite } from "./staging.ts";
import { bucketFile, DIMENSIONS, INTERACTIONS } from "./warehouse-layout.ts";

// What an export writes for one bucket (export-warehouse.ts): its plan, the files the plan
// becomes, and when a bucket's parts are compacted into one.

/**
 * A bucket with more interactions parts than this is compacted whatever the night: its base
 * part and the parts of the 16 nights since its last compaction.
 */
export const MAX_PARTS = 17;
/** Nights between a bucket's scheduled compactions; a night schedules 1/COMPACT_EVERY of the buckets. */
export const COMPACT_EVERY = 16;

/**
 * Whether a bucket holding `parts` interactions parts (this night's new one included) is
 * compacted tonight (compactedParts says which of them): past MAX_PARTS, or on its own night,
 * (night + bucket) a multiple of COMPACT_EVERY, when it has more than one part. Staggered so
 * that a night compacts 1/16 of the buckets, never all of them on the same night; a bucket
 * adding a part every night is compacted on its night before it passes MAX_PARTS.
 */
export function compactsTonight(bucket: number, night: number, parts: number): boolean {
  return parts > MAX_PARTS || (parts > 1 && (night + bucket) % COMPACT_EVERY === 0);
}

/**
 * The listed parts a compaction merges into one file (sizes: the manifest's bytes): the parts
 * other than the largest (the base part, most often the first export's) while together they
 * are smaller than it, else all of them. A bucket that gains a part a night then rewrites its
 * recent nights' rows on its night, not its whole history: on the 16 nights after a first
 * export about 1% of a bucket a night, where merging all of them rewrote 1/16 of the warehouse
 * every night (and the nightly run read those rows again); the base is rewritten once the
 * others have grown as large as it, so the parts stay few and the rows written per row
 * exported stay bounded (size-tiered, as an LSM tree's levels).
 */
export function compactedParts(parts: string[], sizes: Record<string, number>): string[] {
  // One part is the base: nothing beside it to merge.
  if (parts.length < 2) return [];
  const base = parts.reduce((a, b) => ((sizes[b] ?? 0) > (sizes[a] ?? 0) ? b : a));
  const others = parts.filter((part) => part !== base);
  const othersBytes = others.reduce((sum, part) => sum + (sizes[part] ?? 0), 0);
  return othersBytes < (sizes[base] ?? 0) ? others : parts;
}

/** A bucket's plan for this run, filled as its tenants are read. */
export interface BucketPlan {
  bucket: number;
  /** Tenants whose rows were staged (new rows, or the whole history of `fromZero`'s). */
  staged: string[];
  /** Tenants read from their first row: none of their rows is kept from the current files. */
  fromZero: Set<string>;
  /** Per dimension, the tenants whose snapshot rows were taken again. */
  snapshots: Map<string, string[]>;
  /** The bucket's listed files found damaged (never read again). */
  damaged: Set<string>;
  /** Damaged or asked: the bucket is made again from its tenants' files alone, keeping no row. */
  whole: boolean;
  rows: number;
}

/**
 * The files a bucket's plan writes, each under the next number of `manifest`, whose listing
 * it updates (the replaced files dropped, the new ones added once renamed into place).
 */
export function bucketWrites(plan: BucketPlan, manifest: Manifest, warehouse: string): BucketWrite[] {
  const writes: BucketWrite[] = [];
  const sound = (files: string[]) =>
    plan.whole
      ? []
      : files.filter((f) => !plan.damaged.has(join(warehouse, f))).map((f) => join(warehouse, f));
  const parts = listedFiles(manifest, INTERACTIONS, plan.bucket);
  // A tenant read from zero, or damage: the bucket is made one file again. Its night: the
  // parts compactedParts picks are merged with the new rows (one part alone stays as it is).
  const whole = plan.fromZero.size > 0 || plan.damaged.size > 0;
  let merged = whole
    ? parts
    : compactsTonight(plan.bucket, manifest.night ?? 0, parts.length + (plan.rows > 0 ? 1 : 0))
      ? compactedParts(parts, manifest.files)
      : [];
  if (!whole && merged.length === 1 && plan.rows === 0) merged = [];
  if (merged.length > 0 || plan.rows > 0) {
    const file = bucketFile(INTERACTIONS, plan.bucket, manifest.next++);
    writes.push({
      table: INTERACTIONS,
      bucket: plan.bucket,
      file,
      tenants: plan.staged,
      keep: sound(merged),
      replaced: [...plan.fromZero],
    });
    for (const part of merged) delete manifest.files[part];
  }
  for (const { name } of DIMENSIONS) {
    const snapshots = listedFiles(manifest, name, plan.bucket);
    const damagedHere = snapshots.some((f) => plan.damaged.has(join(warehouse, f)));
    const retaken = plan.snapshots.get(name) ?? [];
    if (retaken.length === 0 && !damagedHere) continue;
    writes.push({
      table: name,
      bucket: plan.bucket,
      file: bucketFile(name, plan.bucket, manifest.next++),
      tenants: retaken,
      keep: sound(snapshots),
      replaced: retaken,
    });
    for (const snapshot of snapshots) delete manifest.files[snapshot];
  }
  return writes;
}
