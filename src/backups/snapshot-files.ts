import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * How snapshots lie in a backup directory: `<dir>/<slug>/<stamp>.sqlite.zst` (the workspace's
 * file, zstd-compressed) and `<stamp>.json` beside it (its manifest), the stamp being the UTC
 * time the snapshot was read, e.g. `20261203T092512.345Z`: names sort as times do.
 */

export const MANIFEST_FORMAT = "crm-backup/1";
const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/;
const SNAPSHOT_SUFFIX = ".sqlite.zst";
/** Slugs as the catalog allows them: a slug never reaches a path otherwise. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** What a snapshot's manifest holds: enough to check it and to register the workspace anew on another host. */
export const snapshotManifest = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    tenantId: z.string().regex(/^[a-z2-7]{16}$/),
    slug: z.string().regex(SLUG),
    // Printed to a terminal and registered in the catalog: no control characters.
    name: z
      .string()
      .min(1)
      .max(200)
      .refine((name) => ![...name].some((c) => c < " " || c === "\u007f"), "control characters"),
    /** When the workspace was created (ms), kept when it is registered on another host. */
    createdAt: z.number().int().nonnegative(),
    /** When SQLite's snapshot was read: every write acknowledged before it is in the copy. */
    takenAt: z.string().datetime(),
    /** The host it was taken on (CRM_HOST_NAME in a cluster, else the machine's name). */
    host: z.string().max(200),
    file: z.string(),
    compression: z.literal("zstd"),
    /** The size of the SQLite copy before compression, and of the compressed file. */
    sourceBytes: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    /** SHA-256 of the compressed file, hex. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Rows per table in the copy. */
    rows: z.record(z.string(), z.number().int().nonnegative()),
    /** The schema's migration level (PRAGMA user_version: migrations applied). */
    schemaVersion: z.number().int().nonnegative(),
    /** What PRAGMA integrity_check said of the copy before it was compressed. */
    integrity: z.literal("ok"),
  })
  .strict();

export type SnapshotManifest = z.infer<typeof snapshotManifest>;

/** One snapshot found in a backup directory (its manifest not read yet). */
export interface SnapshotRef {
  slug: string;
  stamp: string;
  takenAt: number;
  /** The compressed file and its manifest. */
  path: string;
  manifestPath: string;
}

/** The stamp of an instant: `20261203T092512.345Z`. */
export function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "");
}

/** The instant a stamp names, or undefined if it is not one. */
export function stampTime(stamp: string): number | undefined {
  const m = STAMP.exec(stamp);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  const time = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  return Number.isNaN(time) ? undefined : time;
}

export function isSlug(slug: string): boolean {
  return SLUG.test(slug);
}

export function snapshotRef(dir: string, slug: string, stamp: string): SnapshotRef {
  const folder = join(dir, slug);
  return {
    slug,
    stamp,
    takenAt: stampTime(stamp) ?? Number.NaN,
    path: join(folder, `${stamp}${SNAPSHOT_SUFFIX}`),
    manifestPath: join(folder, `${stamp}.json`),
  };
}

/** The workspaces with a folder of snapshots in `dir`, by slug. */
export function backedUpSlugs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && isSlug(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/**
 * A workspace's snapshots in `dir`, oldest first: every `<stamp>.sqlite.zst` (a snapshot whose
 * manifest is missing is listed too, so verify names it; `.part` files being written are not).
 */
export function listSnapshots(dir: string, slug: string): SnapshotRef[] {
  const folder = join(dir, slug);
  if (!isSlug(slug) || !existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith(SNAPSHOT_SUFFIX))
    .map((name) => name.slice(0, -SNAPSHOT_SUFFIX.length))
    .filter((stamp) => stampTime(stamp) !== undefined)
    .sort()
    .map((stamp) => snapshotRef(dir, slug, stamp));
}

/** A manifest that is missing, not JSON or not exactly what `crm backup now` writes. */
export class DamagedManifestError extends Error {}

/** Reads and checks a snapshot's manifest: it must name this snapshot's workspace and file. */
export function readManifest(ref: SnapshotRef): SnapshotManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(ref.manifestPath, "utf8"));
  } catch (error) {
    throw new DamagedManifestError(
      `its manifest ${ref.manifestPath} cannot be read: ${(error as Error).message}`,
    );
  }
  const parsed = snapshotManifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DamagedManifestError(
      `its manifest ${ref.manifestPath} is damaged (${issue?.path.join(".") || "top"}: ${issue?.message})`,
    );
  }
  const manifest = parsed.data;
  if (
    manifest.slug !== ref.slug ||
    manifest.file !== `${ref.stamp}${SNAPSHOT_SUFFIX}` ||
    Date.parse(manifest.takenAt) !== ref.takenAt
  )
    throw new DamagedManifestError(
      `its manifest ${ref.manifestPath} names another snapshot (${manifest.slug}/${manifest.file})`,
    );
  return manifest;
}
