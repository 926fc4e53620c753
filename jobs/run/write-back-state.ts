import { ExportBusyError, lockWarehouse } from "../export/export-lock.ts";
import { readManifest, writeManifest } from "../export/manifest.ts";

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
