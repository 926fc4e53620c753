import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { exportPerson } from "./export-person.ts";
import { type FileDownload, temporaryFileDownload } from "./file-download.ts";
import { workspaceCsvZip } from "./workspace-csv.ts";
import { snapshotWorkspace } from "./workspace-snapshot.ts";

// What leaves the server from Data & privacy, each behind its role, checked before anything
// is read: a person's data (admins and owners), the whole workspace (owners).

/** A person's data export as a zip (GDPR article 15/20); 404 if the contact is not in this workspace. */
export function personExport(shard: Shard, actor: Actor, contactId: number): Uint8Array<ArrayBuffer> {
  requireRole(actor.role, "admin");
  return exportPerson(shard, contactId);
}

/** The workspace as a SQLite copy without secrets, streamed from a private temporary file. */
export async function workspaceSqliteDownload(shard: Shard, actor: Actor): Promise<FileDownload> {
  requireRole(actor.role, "owner");
  const dir = await mkdtemp(join(tmpdir(), "crm-workspace-"));
  let path: string;
  try {
    path = snapshotWorkspace(shard, dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return await temporaryFileDownload(path, dir);
}

/** The workspace as one CSV per table in a zip, streamed as it is read. */
export function workspaceCsvDownload(shard: Shard, actor: Actor): ReadableStream<Uint8Array> {
  requireRole(actor.role, "owner");
  return workspaceCsvZip(shard);
}
