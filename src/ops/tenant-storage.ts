import { statSync } from "node:fs";
import { join } from "node:path";
import type { Catalog } from "../tenancy/catalog.ts";

export interface TenantSize {
  slug: string;
  /** The file and its write-ahead log, bytes. */
  bytes: number;
}

/** How long a measurement stands before the next view starts another. */
const FRESH_MS = 60_000;
/** Files stat'ed between yields: ~2 µs each, so a chunk holds the event loop well under 20 ms. */
const CHUNK = 500;
const TOP = 10;

const sizeOf = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/**
 * Disk used per tenant (its file plus its -wal), measured off the request path: a view reads
 * the last measurement and, when it is older than a minute, starts the next one, which stats
 * the catalog's files in chunks that yield to the event loop between them (invariant 10).
 * Only the first view of a process waits for a measurement.
 */
export class TenantStorage {
  private measured: { at: number; top: TenantSize[]; total: number; tenants: number } | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly catalog: Catalog,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<{ at: number; top: TenantSize[]; total: number; tenants: number }> {
    if (!this.measured || this.measured.at < this.now() - FRESH_MS) {
      this.running ??= this.measure().finally(() => {
        this.running = undefined;
      });
      if (!this.measured) await this.running;
    }
    return this.measured ?? { at: this.now(), top: [], total: 0, tenants: 0 };
  }

  private async measure(): Promise<void> {
    const tenants = this.catalog.list();
    const sizes: TenantSize[] = [];
    let total = 0;
    for (let i = 0; i < tenants.length; i += CHUNK) {
      for (const tenant of tenants.slice(i, i + CHUNK)) {
        const file = join(this.catalog.dataDir, tenant.file);
        const bytes = sizeOf(file) + sizeOf(`${file}-wal`);
        total += bytes;
        sizes.push({ slug: tenant.slug, bytes });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    sizes.sort((a, b) => b.bytes - a.bytes);
    this.measured = { at: this.now(), top: sizes.slice(0, TOP), total, tenants: tenants.length };
  }
}
