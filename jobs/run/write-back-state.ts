import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "../export/durable-files.ts";
import { ExportBusyError, lockWarehouse } from "../export/export-lock.ts";
import { readManifest, writeManifest } from "../export/manifest.ts";
import type { TenantJob } from "./job-sql.ts";
import type { ResultRows } from "./write-back.ts";

/**
 * The write-back's own writes are not the users': an export took a tenant's snapshots when its
 * file's change counter was `c` (the manifest's `snapshotOf` is `c/<key>[/<marks>]`, see
 * snapshotMark; with the tables' marks, the export looks at the counter only for a file whose
 * marks cannot be trusted, and the write-back, which writes no table a snapshot reads, moves no
 * mark); a write-back whose transaction read `c` at its start (nobody wrote since the
 * snapshots) ends with `c + 1`, its own bump, so the snapshots are still current: the manifest now says `c + 1`. A tenant whose counter
 * moved in between (a user's write) keeps its entry, and its next export retakes the snapshots.
 * Under the export's lock, on the manifest as it is now (an export may have run meanwhile), and
 * written durably as an export writes it. Another export running: nothing recorded (its
 * snapshots are retaken next time, which is only slower). Returns the entries moved.
 */
export function recordOwnWrites(warehouse: string, countersBefore: ReadonlyMap<string, number>): number {
  if (countersBefore.size === 0) return 0;
  let unlock: () => void;
  try {
    unlock = lockWarehouse(warehouse);
  } catch (error) {
    if (error instanceof ExportBusyError) return 0;
    throw error;
  }
  try {
    const manifest = readManifest(warehouse);
    if (!manifest) return 0;
    let moved = 0;
    for (const [tenantId, before] of countersBefore) {
      const entry = manifest.tenants[tenantId];
      const slash = entry?.snapshotOf?.indexOf("/") ?? -1;
      if (!entry?.snapshotOf || slash < 0 || entry.snapshotOf.slice(0, slash) !== String(before)) continue;
      entry.snapshotOf = `${before + 1}${entry.snapshotOf.slice(slash)}`;
      moved++;
    }
    if (moved > 0) writeManifest(warehouse, manifest);
    return moved;
  } finally {
    unlock();
  }
}

/** Per tenant, the run date and each job's hash of the rows last written into its file. */
export interface WrittenResults {
  version: 1;
  tenants: Record<string, { runDate: string; jobs: Partial<Record<TenantJob, string>> }>;
}

/** Where the runner keeps it, next to its DuckDB cache (`_runner/`). */
export const WRITTEN_FILE = "written.json";

/** The hashes of the rows last written, or none (missing or unreadable: everything is written). */
export function readWritten(runnerDir: string): WrittenResults {
  const path = join(runnerDir, WRITTEN_FILE);
  try {
    if (existsSync(path)) {
      const parsed = JSON.parse(readFileSync(path, "utf8")) as WrittenResults;
      if (parsed?.version === 1 && typeof parsed.tenants === "object" && parsed.tenants) return parsed;
    }
  } catch {
    // A damaged file is only a cache of what was written: everything is written again.
  }
  return { version: 1, tenants: {} };
}

export function writeWritten(runnerDir: string, written: WrittenResults): void {
  writeFileDurably(join(runnerDir, WRITTEN_FILE), `${JSON.stringify(written)}\n`);
}

/** A hash of a job's rows for a tenant, whatever order DuckDB gave them in. */
export function rowsHash(rows: ResultRows): string {
  const lines = rows.map((row) => JSON.stringify(row)).sort();
  return new Bun.CryptoHasher("sha256").update(lines.join("\n")).digest("hex");
}
