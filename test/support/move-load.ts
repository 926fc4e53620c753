import { Database } from "bun:sqlite";
import { join } from "node:path";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { MoveCluster } from "./move-cluster.ts";

/** What a client writing through a move saw. */
export interface WriteLog {
  /** Ids of the contacts whose creation was acknowledged (2xx). */
  acked: string[];
  /** Writes refused 503, and how many of those said Retry-After. */
  refused: number;
  refusedWithRetryAfter: number;
  /**
   * 421s: a write that reached the old host just after the flip (before this client read the new
   * placement); nothing was written, and the next one goes to the new owner, as nginx re-sends it.
   */
  misdirected: number;
  /** Any other status (a stale owner's 401/404 is expected only after the flip). */
  other: number[];
}

/**
 * A client creating contacts one after another through the API, sent where placement says the
 * workspace is (as nginx's map would), until `stop()`: it records every acknowledged write.
 */
export function startWriter(cluster: MoveCluster, slug: string, key: string) {
  const log: WriteLog = { acked: [], refused: 0, refusedWithRetryAfter: 0, misdirected: 0, other: [] };
  let running = true;
  let n = 0;
  const done = (async () => {
    while (running) {
      const call = cluster.api(slug, key);
      const response = await call("POST", `/t/${slug}/contacts`, {
        firstName: `Writer${n++}`,
        lastName: "Load",
      });
      if (response.status >= 200 && response.status < 300) log.acked.push(String(response.json.id));
      else if (response.status === 503) {
        log.refused++;
        if (Number(response.headers.get("retry-after")) > 0) log.refusedWithRetryAfter++;
        await Bun.sleep(20);
      } else if (response.status === 421 && response.headers.get("crm-owner")) log.misdirected++;
      else log.other.push(response.status);
    }
  })();
  return {
    log,
    async stop() {
      running = false;
      await done;
      return log;
    },
  };
}

/** A client reading the contacts list in a loop; counts answers by status (a read is retried once at a new owner). */
export function startReader(cluster: MoveCluster, slug: string, key: string) {
  const statuses: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const owner = cluster.ownerName(slug);
      let response = await cluster.api(slug, key)("GET", `/t/${slug}/contacts?limit=5`);
      // Placement flipped between picking the host and its answer: asked again where it points now.
      if (response.status !== 200 && cluster.ownerName(slug) !== owner)
        response = await cluster.api(slug, key)("GET", `/t/${slug}/contacts?limit=5`);
      statuses.push(response.status);
      await Bun.sleep(5);
    }
  })();
  return {
    statuses,
    async stop() {
      running = false;
      await done;
      return statuses;
    },
  };
}

/** The contact ids in `slug`'s file on `host` (read from the file, not through any server). */
export function contactIdsOn(cluster: MoveCluster, host: string, slug: string): Set<string> {
  const catalog = Catalog.open(cluster.dataDir(host));
  try {
    const tenant = catalog.findBySlug(slug);
    if (!tenant) return new Set();
    const sqlite = new Database(join(cluster.dataDir(host), tenant.file), { readonly: true });
    try {
      return new Set(
        (sqlite.query("SELECT id FROM contacts").values() as [number | bigint][]).map((r) => String(r[0])),
      );
    } finally {
      sqlite.close();
    }
  } finally {
    catalog.close();
  }
}
