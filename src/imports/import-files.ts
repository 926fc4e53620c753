import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** A stored file's name under the data directory: `imports/<tenant id>/<random>.<suffix>`. */
const STORED = /^imports\/[a-z2-7]{16}\/[A-Za-z0-9_-]{16,64}(\.csv|-rejected\.csv|\.part)$/;

/**
 * Where an import's files live: under the data directory, in a folder per workspace, named by
 * random tokens (never by the name the file had on someone's computer). Paths are stored
 * relative to the data directory, and checked against that shape before use.
 */
export function uploadName(tenantId: string): string {
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");
  return `imports/${tenantId}/${token}.csv`;
}

/** The report of rejected rows beside an uploaded file. */
export function reportName(storedFile: string): string {
  return storedFile.replace(/\.csv$/, "-rejected.csv");
}

/** The absolute path of a stored file, after checking it is one of ours. */
export function storedPath(dataDir: string, name: string): string {
  if (!STORED.test(name)) throw new Error(`not an import file: ${name}`);
  return join(dataDir, name);
}

/** Makes the workspace's folder for import files. */
export function ensureImportDir(dataDir: string, tenantId: string): void {
  mkdirSync(join(dataDir, "imports", tenantId), { recursive: true, mode: 0o700 });
}

/** Deletes stored files; a file already gone is fine. */
export function removeStored(dataDir: string, names: (string | null | undefined)[]): void {
  for (const name of names) if (name) rmSync(storedPath(dataDir, name), { force: true });
}
