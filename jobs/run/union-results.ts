import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { pack, unpack } from "msgpackr";
import { writeFileDurably } from "../../src/core/durable-file.ts";
import {
  ANALYTICS_JOBS,
  type AnalyticsJob,
  type JobOutcome,
  type RunTrigger,
  type UsageRow,
} from "../../src/tenancy/analytics-ledger.ts";
import { RESULTS_DIR } from "../export/host-warehouse.ts";
import { isSafeTenantId } from "../export/warehouse-layout.ts";
import { TENANT_JOBS, type TenantJob } from "./job-sql.ts";
import { packedResults } from "./run-job.ts";

/**
 * A union run's results for one host's workspaces (`results/<host>.msgpack` in the shared
 * warehouse, msgpackr): what that host's `crm analytics apply` writes into its own files. The
 * run never opens another host's files, and no request of any host waits on another host: the
 * shared folder is read and written by batch commands only. Each file is written whole
 * (temporary name, fsync, rename): an apply reads the last run's results or the one before,
 * never a mix.
 */
export interface HostResults {
  version: 1;
  /** The host whose workspaces these are, and the host that ran the union. */
  host: string;
  runner: string;
  runDate: string;
  computedAt: number;
  /** The jobs that succeeded: their rows replace each workspace's; any other job keeps its rows. */
  jobs: TenantJob[];
  /**
   * How the run went (its trigger and each job's outcome, rows across the union): recorded in
   * the ledger of each host that applies it, for its Settings → Analytics page.
   */
  trigger?: RunTrigger;
  outcomes?: Partial<Record<AnalyticsJob, JobOutcome>>;
  /** The host's usage rows (the operators' table in its catalog), when the usage job succeeded. */
  usage?: Omit<UsageRow, "runDate">[];
  tenants: TenantResults[];
}

export interface TenantResults {
  id: string;
  slug: string;
  /**
   * The mark the write leaves in the file (analytics_freshness.write_id): a hash of the day and
   * the rows, so an apply run again, or a run whose numbers did not change, finds the file
   * already holding them and writes nothing.
   */
  writeId: string;
  /** Per job (as `jobs`), its rows for this workspace as the write-back takes them (run-job.ts PackedRows). */
  rows: { job: TenantJob; rows: number; json: string }[];
}

export const resultsFile = (shared: string, host: string) => join(shared, RESULTS_DIR, `${host}.msgpack`);

function writeIdOf(runDate: string, rows: TenantResults["rows"]): string {
  const hash = createHash("sha256").update(runDate);
  for (const { job, json } of rows) hash.update(`\0${job}\0${json}`);
  return hash.digest("hex").slice(0, 32);
}

/**
 * Writes each host's results file from the succeeded jobs' result tables: every workspace
 * counted gets each succeeded job's rows (none included: a workspace whose last contact went
 * is told so), as in a single host's write-back. `hosts`: every host of the placement, each
 * given a file (an empty one for a host holding no workspace), so no host applies an older run.
 */
export async function writeHostResults(
  connection: DuckDBConnection,
  options: {
    shared: string;
    runner: string;
    runDate: string;
    computedAt: number;
    jobs: readonly TenantJob[];
    hosts: readonly string[];
    tenants: readonly { id: string; slug: string; host: string }[];
    usage?: Map<string, Omit<UsageRow, "runDate">>;
    trigger: RunTrigger;
    outcomes: ReadonlyMap<AnalyticsJob, JobOutcome>;
  },
): Promise<Map<string, number>> {
  const jobs = TENANT_JOBS.filter((job) => options.jobs.includes(job));
  const packed = new Map<TenantJob, Awaited<ReturnType<typeof packedResults>>>();
  for (const job of jobs) packed.set(job, await packedResults(connection, job));
  const byHost = new Map<string, HostResults>();
  for (const host of options.hosts)
    byHost.set(host, {
      version: 1,
      host,
      runner: options.runner,
      runDate: options.runDate,
      computedAt: options.computedAt,
      jobs,
      trigger: options.trigger,
      outcomes: Object.fromEntries(options.outcomes),
      ...(options.usage ? { usage: [] } : {}),
      tenants: [],
    });
  for (const tenant of options.tenants) {
    const results = byHost.get(tenant.host);
    if (!results) continue;
    const rows = jobs.map((job) => {
      const mine = packed.get(job)?.get(tenant.id);
      return { job, rows: mine?.rows ?? 0, json: mine?.json ?? "[]" };
    });
    results.tenants.push({
      id: tenant.id,
      slug: tenant.slug,
      writeId: writeIdOf(options.runDate, rows),
      rows,
    });
    const usage = options.usage?.get(tenant.id);
    if (usage) results.usage?.push(usage);
  }
  mkdirSync(join(options.shared, RESULTS_DIR), { recursive: true });
  const counts = new Map<string, number>();
  for (const [host, results] of byHost) {
    writeFileDurably(resultsFile(options.shared, host), pack(results));
    counts.set(host, results.tenants.length);
  }
  return counts;
}

/** A workspace's entry as writeHostResults writes it: its id, and exactly the file's jobs, each rows as JSON text. */
function wellFormed(entry: TenantResults, jobs: readonly TenantJob[]): boolean {
  return (
    typeof entry?.id === "string" &&
    isSafeTenantId(entry.id) &&
    typeof entry.slug === "string" &&
    typeof entry.writeId === "string" &&
    Array.isArray(entry.rows) &&
    entry.rows.length === jobs.length &&
    entry.rows.every(
      (r, i) =>
        r?.job === jobs[i] && Number.isSafeInteger(r.rows) && r.rows >= 0 && typeof r.json === "string",
    )
  );
}

/** Why a host's results cannot be applied, or them. */
export function readHostResults(shared: string, host: string): HostResults | string {
  const path = resultsFile(shared, host);
  if (!existsSync(path))
    return `no results for host ${host} in ${path} (run crm analytics run on one host of the cluster first)`;
  let results: HostResults;
  try {
    results = unpack(readFileSync(path)) as HostResults;
  } catch (error) {
    return `${path} cannot be read: ${(error as Error).message}`;
  }
  const jobsKnown = Array.isArray(results?.jobs) && results.jobs.every((j) => TENANT_JOBS.includes(j));
  if (
    results?.version !== 1 ||
    results.host !== host ||
    !/^\d{4}-\d{2}-\d{2}$/.test(String(results.runDate)) ||
    !Number.isSafeInteger(results.computedAt) ||
    !jobsKnown ||
    !Array.isArray(results.tenants) ||
    !results.tenants.every((t) => wellFormed(t, results.jobs)) ||
    (results.usage !== undefined && !Array.isArray(results.usage)) ||
    (results.trigger !== undefined && results.trigger !== "manual" && results.trigger !== "nightly") ||
    !Object.entries(results.outcomes ?? {}).every(
      ([job, o]) =>
        (ANALYTICS_JOBS as readonly string[]).includes(job) &&
        (o?.status === "succeeded" || o?.status === "failed") &&
        Number.isSafeInteger(o.rows) &&
        Number.isSafeInteger(o.ms),
    )
  )
    return `${path} is not a results file for host ${host}`;
  return results;
}
