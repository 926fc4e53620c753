import { readFileSync } from "node:fs";
import { appFile } from "../../src/core/app-files.ts";
import { ANALYTICS_JOBS, type AnalyticsJob } from "../../src/tenancy/analytics-ledger.ts";

/** The jobs that write into each workspace's file (usage goes to the host's catalog only). */
export const TENANT_JOBS = ANALYTICS_JOBS.filter((job) => job !== "usage") as Exclude<
  AnalyticsJob,
  "usage"
>[];
export type TenantJob = (typeof TENANT_JOBS)[number];

/** A job's one SELECT, read from `jobs/<name>.sql` (the name comes from ANALYTICS_JOBS, never from input). */
export function jobSql(job: AnalyticsJob): string {
  const text = readFileSync(appFile(`jobs/${job}.sql`), "utf8");
  // A trailing semicolon would end the statement the runner wraps around the SELECT.
  return text.trim().replace(/;\s*$/, "");
}

/** Whether `name` is one of the jobs (what `--job` accepts). */
export function isJob(name: string): name is AnalyticsJob {
  return (ANALYTICS_JOBS as readonly string[]).includes(name);
}
