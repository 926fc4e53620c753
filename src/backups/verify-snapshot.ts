import { rmSync, statSync } from "node:fs";
import { decompressFile, hashFile } from "./compressed-file.ts";
import { type CopyFacts, inspectCopy } from "./inspect-copy.ts";
import { readManifest, type SnapshotManifest, type SnapshotRef } from "./snapshot-files.ts";

/** A snapshot that cannot be trusted, and why (named in the message). */
export class BadSnapshotError extends Error {
  constructor(
    readonly ref: SnapshotRef,
    reason: string,
  ) {
    super(`snapshot ${ref.path}: ${reason}`);
  }
}

export interface VerifiedSnapshot {
  manifest: SnapshotManifest;
  facts: CopyFacts;
}

function sameRows(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/**
 * Checks a snapshot through and through, decompressing it into `target` (a new file): its
 * manifest is whole, the compressed file has the manifest's size and SHA-256, it decompresses,
 * SQLite's integrity_check passes over the copy, and the copy holds the manifest's workspace,
 * schema level and row counts. On success `target` is the checked copy (the caller's); on any
 * failure it is removed and BadSnapshotError says what was wrong.
 */
export async function verifySnapshot(ref: SnapshotRef, target: string): Promise<VerifiedSnapshot> {
  const bad = (reason: string) => new BadSnapshotError(ref, reason);
  let manifest: SnapshotManifest;
  try {
    manifest = readManifest(ref);
  } catch (error) {
    throw bad((error as Error).message);
  }
  const size = statSync(ref.path, { throwIfNoEntry: false })?.size;
  if (size === undefined) throw bad("the file is missing");
  if (size !== manifest.bytes) throw bad(`its size is ${size} bytes, its manifest says ${manifest.bytes}`);
  try {
    let digest: Awaited<ReturnType<typeof decompressFile>>;
    try {
      digest = await decompressFile(ref.path, target, manifest.sourceBytes);
    } catch (error) {
      // Why it fails to decompress: most often bytes changed since it was written.
      const sha256 = await hashFile(ref.path);
      if (sha256 !== manifest.sha256)
        throw bad(`checksum mismatch: SHA-256 ${sha256}, its manifest says ${manifest.sha256}`);
      throw bad(`it cannot be decompressed (${(error as Error).message})`);
    }
    if (digest.sha256 !== manifest.sha256)
      throw bad(`checksum mismatch: SHA-256 ${digest.sha256}, its manifest says ${manifest.sha256}`);
    let facts: CopyFacts;
    try {
      facts = inspectCopy(target);
    } catch (error) {
      throw bad(`the copy cannot be read by SQLite (${(error as Error).message})`);
    }
    if (facts.integrity !== "ok") throw bad(`integrity_check found: ${facts.integrity}`);
    if (facts.tenantId !== manifest.tenantId)
      throw bad(
        `the copy belongs to workspace ${facts.tenantId ?? "(none)"}, its manifest says ${manifest.tenantId}`,
      );
    if (facts.schemaVersion !== manifest.schemaVersion || !sameRows(facts.rows, manifest.rows))
      throw bad("the copy's tables or row counts differ from its manifest's");
    return { manifest, facts };
  } catch (error) {
    rmSync(target, { force: true });
    throw error;
  }
}
