/**
 * What the cross-host analytics tests share: three host data dirs (a, b, c) with one placement
 * file, the same workspaces and events seeded either spread over them (each on the host
 * placement gives it) or all on one host, the real `crm` run per host, and each workspace's
 * analytics as its file holds them (what the pages show).
 */
import { Database } from "bun:sqlite";
import { expect } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { RESULT_TABLES } from "../jobs/run/result-tables.ts";
import { copyWorkspaces } from "../scripts/bench/copy-workspaces.ts";
import { ownerOf, type Placement } from "../src/cluster/placement.ts";
import { writePlacement } from "../src/cluster/placement-file.ts";
import { seedTenant } from "../src/seed/seed-tenant.ts";
import { CATALOG_FILE } from "../src/tenancy/catalog.ts";
import { ANCHOR, type CliResult, crm } from "./analytics-export.fixture.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir } from "./support/workspace.ts";

export const HOSTS = ["a", "b", "c"] as const;
export const DAY = "2026-01-20";

export const PLACEMENT: Placement = {
  version: 1,
  secret: "s".repeat(40),
  hosts: HOSTS.map((name, i) => ({ name, url: `http://127.0.0.1:${9100 + i}` })),
  overrides: {},
};

/** Workspaces, each with its own seed: the same data whichever host holds it. */
export const WORKSPACES = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"].map(
  (slug, i) => ({ slug, seed: 11 + i, contacts: 12 + 3 * i }),
);

export const ownerName = (slug: string) => ownerOf(PLACEMENT, slug)?.name as string;

/** A data dir for one host: its placement file, its name (the env its `crm` runs with). */
export function hostDir(root: string, host: string, placement = PLACEMENT): string {
  const dir = join(root, host);
  mkdirSync(dir, { recursive: true });
  writePlacement(join(dir, "cluster.json"), placement);
  return dir;
}

/** Creates the workspaces in `dir` and seeds each with its own seed. */
export async function seed(dir: string, slugs: readonly string[]): Promise<void> {
  const data = new DataDir(dir);
  try {
    for (const w of WORKSPACES.filter((w) => slugs.includes(w.slug))) {
      const tenant = await data.tenant(w.slug);
      await data.shards.use(tenant, (shard) =>
        seedTenant(shard, {
          contacts: w.contacts,
          seed: w.seed,
          anchorMs: ANCHOR,
          interactionsPerContact: 8,
        }),
      );
    }
  } finally {
    data.close();
  }
}

export { copyWorkspaces };

/** A test's folders: a single host (`solo`), hosts a, b, c (each with the placement file), the shared warehouse. */
export function clusterFolders(prefix: string) {
  const root = tempDir(prefix);
  const dirs = Object.fromEntries(HOSTS.map((h) => [h, hostDir(root.path, h)])) as Record<string, string>;
  return { root, solo: join(root.path, "solo"), shared: join(root.path, "shared"), dirs };
}

/**
 * Seeds `slugs` on the single host and copies each to the host placement gives it (each host
 * must get one), plus `extra` copies (host → slugs).
 */
export async function seedSpread(
  folders: ReturnType<typeof clusterFolders>,
  slugs: readonly string[],
  extra: Record<string, string[]> = {},
): Promise<void> {
  for (const host of HOSTS) expect(slugs.some((s) => ownerName(s) === host)).toBe(true);
  await seed(folders.solo, slugs);
  for (const host of HOSTS)
    copyWorkspaces(folders.solo, folders.dirs[host] as string, [
      ...slugs.filter((s) => ownerName(s) === host),
      ...(extra[host] ?? []),
    ]);
}

/** `crm` as host `host` of the cluster (CRM_HOST_NAME), over the shared warehouse. */
export const crmOn = (dir: string, host: string, shared: string, args: string[]): Promise<CliResult> =>
  crm(dir, args, { CRM_HOST_NAME: host, CRM_WAREHOUSE_DIR: shared });

/**
 * A workspace's analytics as its file holds them: every job's result rows (in key order) and
 * each job's freshness (its day and row count; not when it was computed or the write's mark).
 */
export function analyticsOf(dir: string, slug: string): Record<string, unknown[]> {
  const catalog = new Database(join(dir, CATALOG_FILE), { readonly: true });
  const { file } = catalog.query("SELECT file FROM tenants WHERE slug = ?").get(slug) as { file: string };
  catalog.close();
  const db = new Database(join(dir, file), { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const [job, spec] of Object.entries(RESULT_TABLES)) {
      const keys = spec.columns.slice(0, spec.keys).join(", ");
      out[job] = db
        .query(`SELECT ${spec.columns.join(", ")}, run_date FROM ${spec.table} ORDER BY ${keys}`)
        .all();
    }
    out.freshness = db.query("SELECT job, run_date, rows FROM analytics_freshness ORDER BY job").all();
    return out;
  } finally {
    db.close();
  }
}

/** A workspace file's change counter (moves with every write transaction). */
export function changeCounter(dir: string, slug: string): number {
  const catalog = new Database(join(dir, CATALOG_FILE), { readonly: true });
  const { file } = catalog.query("SELECT file FROM tenants WHERE slug = ?").get(slug) as { file: string };
  catalog.close();
  const db = new Database(join(dir, file), { readonly: true });
  try {
    return (db.query("SELECT change_counter AS n FROM shard_state").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The host's usage table (operators'), by slug: every column but the file size. */
export function usageOf(dir: string): Record<string, unknown> {
  const catalog = new Database(join(dir, CATALOG_FILE), { readonly: true });
  try {
    const rows = catalog
      .query(
        `SELECT t.slug, u.run_date, u.active_users, u.events, u.events_per_day, u.storage_bytes > 0 AS sized
         FROM analytics_usage u JOIN tenants t ON t.id = u.tenant_id ORDER BY t.slug`,
      )
      .all() as { slug: string }[];
    return Object.fromEntries(rows.map(({ slug, ...rest }) => [slug, rest]));
  } finally {
    catalog.close();
  }
}
