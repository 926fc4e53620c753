import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import { isLocked } from "../../src/tenancy/locked.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import type { ShardManager } from "../../src/tenancy/shard-manager.ts";
import type { TenantJob } from "./job-sql.ts";
import { RESULT_TABLES } from "./result-tables.ts";

/** A statement's wait for another connection's lock (the server's, a worker's): it blocks only this process. */
export const WRITE_BUSY_TIMEOUT_MS = 250;
/** Attempts of a tenant's write-back while its file stays locked, with a growing pause between them. */
const ATTEMPTS = 6;
const FIRST_PAUSE_MS = 100;

/**
 * One job's write into a workspace's file. With `expected` (what the runner recorded the file
 * holds), only the change: `upserts` are the new or changed rows, `deletes` the keys gone. Without
 * it, the job's rows are replaced: `upserts` are all of them.
 */
export interface JobWrite {
  job: TenantJob;
  /** `[[c1, c2, …], …]` in RESULT_TABLES' column order, and how many. */
  upserts: string;
  upsertRows: number;
  /** `[[k1, …], …]`: the keys of the rows to delete. */
  deletes: string;
  /** The job's row count once written (its freshness row says it). */
  rows: number;
  expected?: { writeId: string; rows: number };
}

/** What a write found and did. */
export interface WriteResult {
  /** The file's change counter read at the start of the write transaction; absent when nothing was written. */
  before?: number;
  /**
   * Jobs whose rows in the file are not exactly the ones given, because a row about a contact or
   * a company that is no longer in the file was left out: the runner forgets what it wrote
   * there, so the next run writes them in full.
   */
  differs: TenantJob[];
}

/** The file does not hold what the runner recorded for these jobs: nothing was written; write them in full. */
export class StaleResultsError extends Error {
  constructor(readonly jobs: TenantJob[]) {
    super(`the file does not hold the results last written for ${jobs.join(", ")}`);
    this.name = "StaleResultsError";
  }
}

/** Whether the file still holds the job's rows as last written: the write's mark, and as many rows. */
function holds(shard: Shard, write: JobWrite): boolean {
  const { table } = RESULT_TABLES[write.job];
  const mark = shard
    .statement("SELECT write_id AS id FROM analytics_freshness WHERE job = ?")
    .get(write.job) as {
    id: string | null;
  } | null;
  if (!write.expected || mark?.id !== write.expected.writeId) return false;
  const count = shard.statement(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
  return count.n === write.expected.rows;
}

/**
 * Writes one job's rows: SQLite reads them from the JSON text itself (json_each), one statement
 * for all of them, instead of one call from JavaScript per row. A row about a contact (RFM) or a
 * company (churn) the file no longer holds is not written, and its old row goes: an erased or
 * merged-away record never gets a row back, whatever the warehouse knew when the jobs ran.
 * Returns whether every row given was written.
 */
function writeJob(shard: Shard, write: JobWrite, runDate: string): boolean {
  const { table, columns, keys, subject } = RESULT_TABLES[write.job];
  const keyList = columns.slice(0, keys).join(", ");
  const keyValues = columns
    .slice(0, keys)
    .map((_, i) => `value ->> ${i}`)
    .join(", ");
  const exists = subject ? `EXISTS (SELECT 1 FROM ${subject} WHERE id = value ->> 0)` : "true";
  if (write.expected) {
    if (write.deletes !== "[]")
      shard
        .statement(`DELETE FROM ${table} WHERE (${keyList}) IN (SELECT ${keyValues} FROM json_each(?))`)
        .run(write.deletes);
  } else shard.statement(`DELETE FROM ${table}`).run();
  if (write.upsertRows === 0) return true;
  // `WHERE` before `ON CONFLICT`: SQLite's upsert from a SELECT needs one to parse.
  const written = shard
    .statement(
      `INSERT INTO ${table} (${columns.join(", ")}, run_date)
       SELECT ${columns.map((_, i) => `value ->> ${i}`).join(", ")}, ? FROM json_each(?) WHERE ${exists}
       ON CONFLICT (${keyList}) DO UPDATE SET ${[...columns.slice(keys), "run_date"].map((c) => `${c} = excluded.${c}`).join(", ")}`,
    )
    .run(runDate, write.upserts).changes;
  if (written === write.upsertRows) return true;
  if (subject && write.expected)
    shard
      .statement(
        `DELETE FROM ${table} WHERE ${columns[0]} IN (SELECT value ->> 0 FROM json_each(?))
         AND ${columns[0]} NOT IN (SELECT id FROM ${subject})`,
      )
      .run(write.upserts);
  return false;
}

/** The job's freshness row (what the Insights pages show as "computed for D") and the write's mark. */
function writeFreshness(
  shard: Shard,
  job: TenantJob,
  rows: number,
  runDate: string,
  computedAt: number,
  writeId: string,
): void {
  shard
    .statement(
      `INSERT INTO analytics_freshness (job, run_date, computed_at, rows, write_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (job) DO UPDATE SET run_date = excluded.run_date, computed_at = excluded.computed_at,
         rows = excluded.rows, write_id = excluded.write_id`,
    )
    .run(job, runDate, computedAt, rows, writeId);
}

/** One workspace's write: its jobs, the day they are for, and the mark this write leaves. */
export interface WorkspaceWrite {
  jobs: JobWrite[];
  runDate: string;
  computedAt: number;
  writeId: string;
  /**
   * Only check: every job's rows and day are the ones recorded, so nothing is written when the
   * file holds them (read, no write transaction); when it does not, StaleResultsError.
   */
  checkOnly?: boolean;
}

/**
 * Writes the jobs' results into one workspace's file in one transaction: a page reads the
 * previous night's numbers or the new ones, never a mix, and a job not given keeps its rows.
 * Before writing, in the same transaction, it checks that the file holds what the runner
 * recorded for each job written as a change (the mark and the row count): a file put back from
 * a backup, replaced, or whose rows the app removed throws StaleResultsError, having written
 * nothing. Every job given gets its freshness row and this write's mark.
 * The server may be writing the same file: a lock held past the short busy timeout is waited
 * out asynchronously and tried again a few times (nothing is written by a refused attempt).
 * `before` is the file's change counter read at the start of the transaction (a write
 * transaction holds the file's write lock throughout, so the counter after the commit is that
 * plus one, the write-back's own bump).
 */
export async function writeBack(
  shards: ShardManager,
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  write: WorkspaceWrite,
): Promise<WriteResult> {
  const check = (shard: Shard) => {
    const stale = write.jobs.filter((job) => job.expected && !holds(shard, job)).map((job) => job.job);
    if (stale.length > 0) throw new StaleResultsError(stale);
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await shards.use(tenant, (shard) => {
        if (write.checkOnly) {
          check(shard);
          return { differs: [] };
        }
        return shard.transaction(() => {
          const before = shard.changeCounter();
          check(shard);
          const differs: TenantJob[] = [];
          for (const job of write.jobs) {
            const whole = writeJob(shard, job, write.runDate);
            if (!whole) differs.push(job.job);
            // Rows left out (their record is gone from the file): the freshness row counts what is there.
            const rows = whole
              ? job.rows
              : (
                  shard.statement(`SELECT count(*) AS n FROM ${RESULT_TABLES[job.job].table}`).get() as {
                    n: number;
                  }
                ).n;
            writeFreshness(shard, job.job, rows, write.runDate, write.computedAt, write.writeId);
          }
          return { before, differs };
        });
      });
    } catch (error) {
      if (!isLocked(error) || attempt >= ATTEMPTS) throw error;
      await Bun.sleep(FIRST_PAUSE_MS * 2 ** (attempt - 1));
    }
  }
}
