import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { isLocked } from "../../src/tenancy/locked.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import type { ShardManager } from "../../src/tenancy/shard-manager.ts";
import type { TenantJob } from "./job-sql.ts";
import { RESULT_TABLES } from "./result-tables.ts";
import type { PackedRows } from "./run-job.ts";

/** A statement's wait for another connection's lock (the server's, a worker's): it blocks only this process. */
export const WRITE_BUSY_TIMEOUT_MS = 250;
/** Attempts of a tenant's write-back while its file stays locked, with a growing pause between them. */
const ATTEMPTS = 6;
const FIRST_PAUSE_MS = 100;

export type ResultRows = (string | number | null)[][];

/**
 * Replaces a job's rows: SQLite reads them from the JSON text itself (json_each), one statement
 * for all of them, instead of one call from JavaScript per row.
 */
function writeJob(
  shard: Shard,
  job: TenantJob,
  packed: PackedRows,
  runDate: string,
  computedAt: number,
): void {
  const { table, columns } = RESULT_TABLES[job];
  shard.statement(`DELETE FROM ${table}`).run();
  shard
    .statement(
      `INSERT INTO ${table} (${columns.join(", ")}, run_date)
       SELECT ${columns.map((_, i) => `value ->> ${i}`).join(", ")}, ? FROM json_each(?)`,
    )
    .run(runDate, packed.json);
  writeFreshness(shard, job, packed.rows, runDate, computedAt);
}

/** The job's freshness row (what the Insights pages show as "computed for D"). */
function writeFreshness(
  shard: Shard,
  job: TenantJob,
  rows: number,
  runDate: string,
  computedAt: number,
): void {
  shard
    .statement(
      `INSERT INTO analytics_freshness (job, run_date, computed_at, rows) VALUES (?, ?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET run_date = excluded.run_date, computed_at = excluded.computed_at, rows = excluded.rows`,
    )
    .run(job, runDate, computedAt, rows);
}

/**
 * Replaces the results of `jobs` in one workspace's file, in one transaction: a page reads the
 * previous night's numbers or the new ones, never a mix, and a job not given keeps its rows.
 * The server may be writing the same file: a lock held past the short busy timeout is waited
 * out asynchronously and tried again a few times (nothing is written by a refused attempt).
 * `unchanged` (job → its row count) are jobs whose rows are the ones already in the file: only
 * their freshness row is written. Returns the file's change counter read at the start of the
 * transaction (a write transaction holds the file's write lock throughout, so the counter after
 * the commit is that plus one, the write-back's own bump).
 */
export async function writeBack(
  shards: ShardManager,
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  jobs: Map<TenantJob, PackedRows>,
  runDate: string,
  computedAt: number,
  unchanged: ReadonlyMap<TenantJob, number> = new Map(),
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await shards.use(tenant, (shard) =>
        shard.transaction(() => {
          const before = shard.changeCounter();
          for (const [job, rows] of jobs) writeJob(shard, job, rows, runDate, computedAt);
          for (const [job, rows] of unchanged) writeFreshness(shard, job, rows, runDate, computedAt);
          return before;
        }),
      );
    } catch (error) {
      if (!isLocked(error) || attempt >= ATTEMPTS) throw error;
      await Bun.sleep(FIRST_PAUSE_MS * 2 ** (attempt - 1));
    }
  }
}
