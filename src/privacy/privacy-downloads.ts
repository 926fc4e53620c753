import { writeFileSync } from "node:fs";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { exportPerson } from "./export-person.ts";
import { writeWorkspaceCsvZip } from "./workspace-csv.ts";
import { snapshotWorkspace } from "./workspace-snapshot.ts";

// What leaves the server from Data & privacy, each behind its role, checked before anything
// is read: a person's data (admins and owners), the whole workspace (owners). Each writes a
// file for the person to download (see download-files.ts), in a worker.

/**
 * A person's data export as a zip (GDPR article 15/20) written to `path`; its size in bytes.
 * 404 if the contact is not in this workspace.
 */
export function personExport(shard: Shard, actor: Actor, contactId: number, path: string): number {
  requireRole(actor.role, "admin");
  const zip = exportPerson(shard, contactId);
  writeFileSync(path, zip, { flag: "wx", mode: 0o600 });
  return zip.byteLength;
}

/** The workspace as a SQLite copy without secrets, written to `path` (see snapshotWorkspace). */
export function workspaceSqliteDownload(
  shard: Shard,
  actor: Actor,
  path: string,
  step?: (done: number) => void,
): void {
  requireRole(actor.role, "owner");
  snapshotWorkspace(shard, path, step);
}

/** The workspace as one CSV per table in a zip, written to `path`; its size in bytes. */
export function workspaceCsvDownload(
  shard: Shard,
  actor: Actor,
  path: string,
  step?: (rows: number, total: number) => void,
): number {
  requireRole(actor.role, "owner");
  return writeWorkspaceCsvZip(shard, path, step);
}
