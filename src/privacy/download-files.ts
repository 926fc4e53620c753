import { randomUUID } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { type FileDownload, temporaryFileDownload } from "./file-download.ts";

/**
 * Files a worker writes for someone to download: each in a directory of its own,
 * `<data>/downloads/<tenant id>/<token>/`, under the data directory (never anywhere a web
 * server serves), readable by this process's user only. A file is handed out once and gone
 * from the disk before its first byte leaves; one nobody fetched goes after a day.
 */

/** How long a prepared file waits for its download. */
export const DOWNLOAD_TTL_MS = 24 * 60 * 60_000;

/** A token names a download's directory: a UUID of ours, never text from a request. */
const TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a file's directory and name are made of: a UUID, a slug, a date, a fixed extension. */
const FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,120}$/;

export const downloadsRoot = (dataDir: string) => join(dataDir, "downloads");

function tenantDir(dataDir: string, tenantId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(tenantId)) throw new Error("unexpected tenant id");
  return join(downloadsRoot(dataDir), tenantId);
}

/** A prepared download's place: its directory (the worker writes `path`) and what names it. */
export interface DownloadSlot {
  token: string;
  dir: string;
  path: string;
}

/** Makes a new private directory for one file named `fileName` and returns where to write it. */
export async function newDownloadSlot(
  dataDir: string,
  tenantId: string,
  fileName: string,
): Promise<DownloadSlot> {
  if (!FILE_NAME.test(fileName)) throw new Error("unexpected file name");
  const token = randomUUID();
  const dir = join(tenantDir(dataDir, tenantId), token);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { token, dir, path: join(dir, fileName) };
}

/** Removes a slot whose file will never be fetched (the task failed or was cancelled). */
export async function dropDownloadSlot(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Hands out the file of a prepared download once: the directory is renamed first (only one of
 * two simultaneous requests can), the file opened, and the directory removed before the first
 * byte goes out. Undefined if it was fetched already or has expired.
 */
export async function claimDownload(
  dataDir: string,
  tenantId: string,
  token: string,
  fileName: string,
): Promise<FileDownload | undefined> {
  if (!TOKEN.test(token) || !FILE_NAME.test(fileName)) return undefined;
  const dir = join(tenantDir(dataDir, tenantId), token);
  const claimed = `${dir}.claimed-${randomUUID()}`;
  try {
    await rename(dir, claimed);
  } catch {
    return undefined;
  }
  try {
    return await temporaryFileDownload(join(claimed, fileName), claimed);
  } catch {
    await rm(claimed, { recursive: true, force: true });
    return undefined;
  }
}

/** Removes every download directory older than `ttlMs` (prepared and never fetched, or left by a crash). */
export async function sweepDownloads(
  dataDir: string,
  now = Date.now(),
  ttlMs = DOWNLOAD_TTL_MS,
): Promise<number> {
  let removed = 0;
  const root = downloadsRoot(dataDir);
  const tenants = await readdir(root).catch(() => [] as string[]);
  for (const tenant of tenants) {
    const entries = await readdir(join(root, tenant)).catch(() => [] as string[]);
    for (const entry of entries) {
      const path = join(root, tenant, entry);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > ttlMs) {
        await rm(path, { recursive: true, force: true });
        removed++;
      }
    }
  }
  return removed;
}

const SWEEP_EVERY_MS = 60 * 60_000;
const sweeping = new Set<string>();

/** Sweeps `dataDir`'s downloads now and every hour, once per data directory in this process. */
export function sweepDownloadsHourly(dataDir: string, onError: (error: unknown) => void): void {
  if (sweeping.has(dataDir)) return;
  sweeping.add(dataDir);
  const sweep = () => void sweepDownloads(dataDir).catch(onError);
  sweep();
  setInterval(sweep, SWEEP_EVERY_MS).unref();
}
