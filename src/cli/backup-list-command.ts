import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashFile } from "../backups/compressed-file.ts";
import { readManifest, type SnapshotRef } from "../backups/snapshot-files.ts";
import { BadSnapshotError, verifySnapshot } from "../backups/verify-snapshot.ts";
import { BACKUPS_HELP, backupDir, snapshotsOf } from "./backup-dir.ts";
import type { Command } from "./command.ts";

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** A snapshot as listed: what its manifest says and whether the file still has its checksum. */
interface Listed {
  slug: string;
  takenAt: string;
  bytes: number;
  sourceBytes: number | null;
  sha256: string | null;
  checksumOk: boolean;
  problem: string | null;
  path: string;
}

async function listed(ref: SnapshotRef): Promise<Listed> {
  const row = { slug: ref.slug, takenAt: new Date(ref.takenAt).toISOString(), path: ref.path };
  const bytes = statSync(ref.path, { throwIfNoEntry: false })?.size ?? 0;
  try {
    const manifest = readManifest(ref);
    const sha256 = await hashFile(ref.path);
    const checksumOk = sha256 === manifest.sha256 && bytes === manifest.bytes;
    const problem = checksumOk ? null : "checksum mismatch";
    return { ...row, bytes, sourceBytes: manifest.sourceBytes, sha256: manifest.sha256, checksumOk, problem };
  } catch (error) {
    return {
      ...row,
      bytes,
      sourceBytes: null,
      sha256: null,
      checksumOk: false,
      problem: (error as Error).message,
    };
  }
}

export const backupList: Command = {
  name: "backup list",
  summary: "list the snapshots in the backup directory and whether their checksums hold",
  help: `Usage: crm backup list [<slug>…] [--json] [--backups DIR] [--data DIR]

Lists the snapshots of the workspaces named (default: every workspace in the directory),
oldest first: workspace, time taken (the recovery point), compressed size, size before
compression, and whether the file still has its manifest's SHA-256 (each file is read once).
For a full check (decompress, integrity_check) use crm backup verify.

  --json           one JSON array: {slug, takenAt, bytes, sourceBytes, sha256, checksumOk, problem, path}
${BACKUPS_HELP}`,
  options: { json: { type: "boolean" }, backups: { type: "string" } },
  positionals: "any",
  async run(values, slugs) {
    const dir = backupDir(values);
    const rows: Listed[] = [];
    for (const ref of snapshotsOf(dir, slugs)) rows.push(await listed(ref));
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (!rows.length) {
      console.log(`no snapshots in ${dir} (take one: crm backup now <slug>)`);
      return 0;
    }
    const width = Math.max(4, ...rows.map((r) => r.slug.length));
    console.log(`${"SLUG".padEnd(width)}  TAKEN AT                  SIZE       FROM       CHECKSUM`);
    for (const r of rows)
      console.log(
        `${r.slug.padEnd(width)}  ${r.takenAt.padEnd(24)}  ${mb(r.bytes).padStart(9)}  ${(r.sourceBytes === null ? "?" : mb(r.sourceBytes)).padStart(9)}  ${r.checksumOk ? "ok" : `BAD: ${r.problem}`}`,
      );
    return 0;
  },
};

export const backupVerify: Command = {
  name: "backup verify",
  summary: "check snapshots through and through: checksum, decompress, integrity_check, row counts",
  help: `Usage: crm backup verify [<slug>…] [--backups DIR] [--data DIR]

Checks every snapshot of the workspaces named (default: all in the directory): the manifest
is whole, the file has its size and SHA-256, it decompresses (into $TMPDIR, removed after),
SQLite opens it and PRAGMA integrity_check says ok, and it holds the manifest's workspace,
schema level and row counts. One line per snapshot; exits 1 naming every bad one (or when the
directory holds no snapshot at all), 2 for bad input (a workspace with no snapshots).

${BACKUPS_HELP}`,
  options: { backups: { type: "string" } },
  positionals: "any",
  async run(values, slugs) {
    const dir = backupDir(values);
    const refs = snapshotsOf(dir, slugs);
    const scratch = mkdtempSync(join(tmpdir(), "crm-verify-"));
    const bad: string[] = [];
    try {
      for (const [i, ref] of refs.entries()) {
        const copy = join(scratch, `${i}.sqlite`);
        try {
          const { manifest, facts } = await verifySnapshot(ref, copy);
          const rows = ["contacts", "companies", "deals", "users"].map((t) => `${facts.rows[t] ?? 0} ${t}`);
          console.log(`ok   ${ref.slug}  ${manifest.takenAt}  ${mb(manifest.bytes)}  ${rows.join(", ")}`);
        } catch (error) {
          if (!(error instanceof BadSnapshotError)) throw error;
          bad.push(ref.path);
          console.log(`BAD  ${ref.slug}  ${new Date(ref.takenAt).toISOString()}  ${error.message}`);
        } finally {
          rmSync(copy, { force: true });
        }
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // An empty directory is no success: a weekly verify from cron of copies that never arrive
    // (a mount missing, rsync failing) must not pass.
    if (!refs.length) {
      console.error(
        `crm backup verify: no snapshots in ${dir}: nothing verified (are the copies reaching it?)`,
      );
      return 1;
    }
    if (bad.length) console.error(`crm backup verify: ${bad.length} bad snapshot(s):\n${bad.join("\n")}`);
    return bad.length ? 1 : 0;
  },
};
