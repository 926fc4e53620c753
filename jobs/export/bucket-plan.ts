import { join } from "node:path";
import { listedFiles, type Manifest } from "./manifest.ts";
import type { BucketWrite } from "./staging.ts";
import { bucketFile, DIMENSIONS, INTERACTIONS } from "./warehouse-layout.ts";

// What an export writes for one bucket (export-warehouse.ts): its plan, the files the plan
// becomes, and when a bucket's parts are compacted into one.

/** A bucket with more interactions parts than this is compacted into one file. */
export const MAX_PARTS = 16;
/** Nights between a bucket's scheduled compactions; a night schedules 1/COMPACT_EVERY of the buckets. */
export const COMPACT_EVERY = 16;

/**
 * Whether a bucket holding `parts` interactions parts (this night's new one included) is
 * compacted into one file tonight: past MAX_PARTS, or on its own night, (night + bucket) a
 * multiple of COMPACT_EVERY, when it has more than one part. Staggered so that a night rewrites
 * about 1/16 of the warehouse, never the whole of it on the same night; a bucket adding a part
 * every night is compacted on its night before it passes MAX_PARTS.
 */
export function compactsTonight(bucket: number, night: number, parts: number): boolean {
  return parts > MAX_PARTS || (parts > 1 && (night + bucket) % COMPACT_EVERY === 0);
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
  const rewrite =
    plan.fromZero.size > 0 ||
    plan.damaged.size > 0 ||
    compactsTonight(plan.bucket, manifest.night ?? 0, parts.length + (plan.rows > 0 ? 1 : 0));
  if (rewrite || plan.rows > 0) {
    const file = bucketFile(INTERACTIONS, plan.bucket, manifest.next++);
    writes.push({
      table: INTERACTIONS,
      bucket: plan.bucket,
      file,
      tenants: plan.staged,
      keep: rewrite ? sound(parts) : [],
      replaced: [...plan.fromZero],
    });
    if (rewrite) for (const part of parts) delete manifest.files[part];
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
