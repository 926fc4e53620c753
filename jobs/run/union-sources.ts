import { HOSTS_DIR, type HostExport, readHostExport } from "../export/host-warehouse.ts";

/**
 * What a union run reads (README "Analytics across hosts"): every host's export in the shared
 * warehouse, each workspace's rows taken from its owner's export only. A workspace a host no
 * longer owns (moved away: its old rows stay in that host's buckets until they are rebuilt), or
 * one copied to its new host before the move's flip, would otherwise be counted twice.
 */
export interface UnionSources {
  /** The hosts' folders, relative to the shared warehouse (`hosts/<name>`), in name order. */
  folders: string[];
  /** Each workspace counted: its id, slug, owner host and file size (from its owner's export). */
  tenants: { id: string; slug: string; host: string; bytes: number }[];
  /** Each host's last export time. */
  exportedAt: Map<string, number>;
  /** Workspaces whose owner's export does not have them: their numbers are not computed. */
  notExported: { slug: string; reason: string }[];
}

/** A host of the placement has no readable export: the run computes nothing rather than a part. */
export class MissingHostExportError extends Error {
  constructor(readonly reasons: string[]) {
    super(`the union of the hosts' exports is not whole: ${reasons.join("; ")}; nothing was computed`);
    this.name = "MissingHostExportError";
  }
}

/**
 * Reads every host's export record. `hosts`: the placement's host names; `ownerOf`: the host
 * placement gives a slug to. Throws MissingHostExportError naming every host whose export is
 * missing or unreadable: partial numbers (a third of the workspaces missing from every job
 * that compares them, no results for the others) would look like real ones.
 */
export function unionSources(
  shared: string,
  hosts: readonly string[],
  ownerOf: (slug: string) => string | undefined,
): UnionSources {
  const records: HostExport[] = [];
  const missing: string[] = [];
  for (const host of [...hosts].sort()) {
    const record = readHostExport(shared, host);
    if (typeof record === "string") missing.push(record);
    else records.push(record);
  }
  if (missing.length > 0) throw new MissingHostExportError(missing);
  const sources: UnionSources = {
    folders: records.map((r) => `${HOSTS_DIR}/${r.host}`),
    tenants: [],
    exportedAt: new Map(records.map((r) => [r.host, r.exportedAt])),
    notExported: [],
  };
  // By slug: a copy on another host (a move's) may carry another id.
  const counted = new Set<string>();
  const elsewhere = new Map<string, string>();
  for (const record of records)
    for (const [id, { slug, bytes }] of Object.entries(record.tenants)) {
      if (ownerOf(slug) === record.host) {
        sources.tenants.push({ id, slug, host: record.host, bytes });
        counted.add(slug);
      } else elsewhere.set(slug, record.host);
    }
  for (const record of records)
    for (const { slug, reason } of Object.values(record.skipped ?? {}))
      if (ownerOf(slug) === record.host) {
        sources.notExported.push({ slug, reason: `host ${record.host} skipped it: ${reason}` });
        counted.add(slug);
      }
  const read = new Set(hosts);
  for (const [slug, host] of elsewhere) {
    const owner = ownerOf(slug) ?? "no host";
    // Its owner's export is not read in this run (a run over this host's export only).
    if (counted.has(slug) || (owner !== "no host" && !read.has(owner))) continue;
    sources.notExported.push({
      slug,
      reason: `only host ${host} exported it, but placement gives it to ${owner}, whose export does not have it (run crm analytics export on ${owner})`,
    });
  }
  sources.tenants.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sources;
}
