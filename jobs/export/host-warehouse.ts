import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "../../src/core/durable-file.ts";
import { isSafeTenantId, MANIFEST } from "./warehouse-layout.ts";

/**
 * The shared warehouse of a cluster (README "Analytics across hosts"): one folder every host
 * reaches (a network file system), in which each host exports into a folder of its own,
 *   hosts/<host>/            a whole warehouse (warehouse-layout.ts: its buckets, its manifest,
 *                            its lock), written by that host's `crm analytics export` only;
 *   hosts/<host>/_state/host.json   what that host exported last (HostExport);
 *   results/<host>.msgpack   the union run's results for that host's workspaces (union-results.ts);
 *   _runner/                 the union run's DuckDB copy of every host's files.
 * Every file a host writes is under a path with its name in it: two hosts never write the same
 * file, and a host's export (its sweep of unlisted files) never reaches another host's folder.
 */
export const HOSTS_DIR = "hosts";
export const RESULTS_DIR = "results";
export const HOST_EXPORT = "_state/host.json";

/** A host's own warehouse inside the shared one. */
export const hostWarehouse = (shared: string, host: string) => join(shared, HOSTS_DIR, host);

/** What a host's last export says about itself: written after its manifest, read by the union run. */
export interface HostExport {
  version: 1;
  host: string;
  /** When its export finished (ms since the epoch). */
  exportedAt: number;
  /** The placement version the host exported under. */
  placementVersion: number;
  /**
   * The workspaces the host exported as their owner: id → slug and the size of its file with its
   * write-ahead log (the usage job's storage_bytes: the runner cannot see other hosts' files).
   */
  tenants: Record<string, { slug: string; bytes: number }>;
  /** The workspaces it owns but could not export (an older schema, a damaged file…), with why. */
  skipped?: Record<string, { slug: string; reason: string }>;
}

/** Records the host's export (durably: the union run trusts it only once it is whole). */
export function writeHostExport(shared: string, record: HostExport): void {
  const dir = hostWarehouse(shared, record.host);
  mkdirSync(join(dir, "_state"), { recursive: true });
  writeFileDurably(join(dir, HOST_EXPORT), `${JSON.stringify(record)}\n`);
}

/**
 * Why a host's export cannot be read (none yet, not whole, no manifest), or its record.
 * Nothing in it is trusted past its shape: ids that cannot be tenant ids are refused.
 */
export function readHostExport(shared: string, host: string): HostExport | string {
  const dir = hostWarehouse(shared, host);
  const path = join(dir, HOST_EXPORT);
  if (!existsSync(path)) return `no export from host ${host} in ${dir} (run crm analytics export on ${host})`;
  if (!existsSync(join(dir, MANIFEST)))
    return `host ${host}'s export in ${dir} has no manifest (run crm analytics export on ${host})`;
  let parsed: Partial<HostExport>;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<HostExport>;
  } catch {
    return `${path} is not JSON (run crm analytics export on ${host} again)`;
  }
  const tenants = parsed?.tenants;
  if (
    parsed?.version !== 1 ||
    parsed.host !== host ||
    !Number.isSafeInteger(parsed.exportedAt) ||
    typeof tenants !== "object" ||
    tenants === null ||
    Object.entries(tenants).some(
      ([id, t]) => !isSafeTenantId(id) || typeof t?.slug !== "string" || !Number.isSafeInteger(t?.bytes),
    )
  )
    return `${path} is not a host export record (run crm analytics export on ${host} again)`;
  return parsed as HostExport;
}

/** A workspace file's size with its write-ahead log (the usage job's storage_bytes). */
export function tenantFileBytes(path: string): number {
  let bytes = 0;
  for (const file of [path, `${path}-wal`]) if (existsSync(file)) bytes += statSync(file).size;
  return bytes;
}
