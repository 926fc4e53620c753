import type { Tenant } from "../../src/tenancy/catalog-schema.ts";

/** What an export is asked to do and told along the way (exportWarehouse), and what it tells back. */
export interface ExportOptions {
  dataDir: string;
  warehouse: string;
  tenants: Tenant[];
  /** The pseudonymisation key (loadWarehouseKey). */
  key: Buffer;
  /** DuckDB's memory limit, e.g. "1GB". */
  memory?: string;
  /** DuckDB's threads; as many connections write the bucket files side by side. */
  threads?: number;
  now?: () => number;
  onTenant?: (done: number, total: number, rows: number) => void;
  onSkip?: (tenant: Tenant, reason: string) => void;
  /**
   * After each batch's files are all renamed into place ("renamed"; not listed yet), then after
   * the manifest listing them is written ("recorded"): where a crash leaves which state.
   */
  onStep?: (step: "renamed" | "recorded", tenantIds: string[]) => void;
  /** While a batch's files are written: files written of the batch's. */
  onFiles?: (done: number, total: number) => void;
  /**
   * Tenants (by id) to rebuild from scratch whatever their state, or "all": an operator's clean
   * slate (`crm analytics export --rebuild`). Their buckets are exported again whole.
   */
  rebuild?: "all" | ReadonlySet<string>;
  /** A tenant whose bucket's listed files are gone or changed: the paths found so; the bucket is rebuilt. */
  onDamaged?: (tenant: Tenant, paths: string[]) => void;
  /**
   * The manifest could not be trusted (not JSON, an entry that is no warehouse file): what is
   * wrong with it. The export then reads none of its paths and rebuilds the warehouse from the
   * workspaces' files, as with no manifest.
   */
  onInvalidManifest?: (path: string, reason: string) => void;
  /**
   * A bucket to rebuild (damaged, or asked) holding a workspace whose file cannot be opened:
   * the bucket is left as it is this time (its files and every workspace's entry kept), rebuilt
   * by an export that can read all its workspaces.
   */
  onBucketKept?: (bucket: number, tenants: Tenant[]) => void;
  /**
   * Values of a workspace's file its warehouse column cannot hold (an INTEGER past 32 bits, a
   * time outside the years 1900–9999, a number past 64 bits), exported as null: how many per
   * `table.column`. Default: one line on stderr (printNulled), never the values.
   */
  onNulled?: (tenant: Tenant, columns: Record<string, number>) => void;
  /**
   * Threads reading the workspaces' files while this one appends their rows and writes the
   * files (default: `threads`); 0 reads them on this thread.
   */
  readers?: number;
  /** Print where the time went (ExportTrace) on stderr; default: when CRM_EXPORT_TRACE is set. */
  trace?: boolean;
  /** Rows staged before a batch of buckets is written (default 1,000,000; a bucket is never split). */
  batchRows?: number;
}

export interface ExportSummary {
  tenants: number;
  skipped: number;
  /** Rebuilt for a merge or an erasure in their new entries (or their file put back from a backup). */
  rebuilt: number;
  /** Rebuilt because their bucket's listed files were gone or changed. */
  repaired: number;
  /** Rebuilt because the caller asked (`rebuild`). */
  forced: number;
  rows: number;
  files: number;
  ms: number;
}

/** `exported as null in <slug>: 1 value of stages.position, 2 of interactions.occurred_at (…)` on stderr. */
export function printNulled(tenant: Tenant, columns: Record<string, number>): void {
  const each = Object.entries(columns)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([column, n], i) =>
        `${n.toLocaleString("en-US")} ${i === 0 ? (n === 1 ? "value of " : "values of ") : "of "}${column}`,
    );
  process.stderr.write(
    `${process.stderr.isTTY ? "\n" : ""}exported as null in ${tenant.slug}: ${each.join(", ")} (out of what the warehouse's column holds)\n`,
  );
}
