import { loadConfig } from "../core/config.ts";
import {
  ANALYTICS_JOBS,
  type AnalyticsRun,
  listRuns,
  listUsage,
  shownStatus,
} from "../tenancy/analytics-ledger.ts";
import { type Command, DATA_HELP, intFlag, UsageError } from "./command.ts";
import { openExistingCatalog } from "./open-data.ts";

const time = (ms: number | null) =>
  ms === null ? "-" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);

function describe(run: AnalyticsRun): string[] {
  const duration =
    run.endedAt === null ? "" : ` in ${(run.endedAt - run.startedAt).toLocaleString("en-US")} ms`;
  const lines = [
    `run ${run.id}  ${run.runDate}  ${run.trigger}  ${shownStatus(run)}  started ${time(run.startedAt)}${duration}  ` +
      `pid ${run.pid}  exported ${run.exportedRows.toLocaleString("en-US")} rows`,
  ];
  for (const job of ANALYTICS_JOBS) {
    const outcome = run.jobs[job];
    if (!outcome) continue;
    lines.push(
      `  ${job.padEnd(8)} ${outcome.status.padEnd(9)} ${outcome.rows.toLocaleString("en-US").padStart(10)} rows ${String(outcome.ms).padStart(7)} ms${outcome.error ? `  ${outcome.error}` : ""}`,
    );
  }
  if (run.error) lines.push(`  error: ${run.error}`);
  else if (shownStatus(run) !== run.status)
    lines.push(
      `  error: its process (${run.pid}) stopped before the run finished; the next run records it failed`,
    );
  return lines;
}

export const analyticsStatus: Command = {
  name: "analytics status",
  summary: "show the latest analytics runs (the ledger) and the operators' usage summary",
  help: `Usage: crm analytics status [--runs N] [--usage] [--data DIR]

Prints the latest runs of crm analytics run on this host, newest first: date, trigger, status,
start, duration, exported rows and each job's status, rows and duration (and error).

  --runs N   how many runs to show (default 10, at least 1)
  --usage    also print the usage summary per workspace from the latest run (operators only:
             active users, events, events per day, storage)
${DATA_HELP}`,
  options: { runs: { type: "string" }, usage: { type: "boolean" } },
  run(values) {
    const limit = intFlag(values, "runs", 10);
    if (limit < 1) throw new UsageError(`--runs must be at least 1, got "${values.runs}"`);
    const config = loadConfig(process.env, { dataDir: values.data as string | undefined });
    const catalog = openExistingCatalog(config.dataDir);
    try {
      const runs = listRuns(catalog, limit);
      if (runs.length === 0) console.log("no analytics run yet (see: crm analytics run)");
      for (const run of runs) console.log(describe(run).join("\n"));
      if (values.usage) {
        const slugs = new Map(catalog.list().map((t) => [t.id, t.slug]));
        const usage = listUsage(catalog);
        console.log(usage.length ? `\nusage on ${usage[0]?.runDate}:` : "\nno usage summary yet");
        console.log("workspace                 active users      events  events/day  storage bytes");
        for (const row of usage)
          console.log(
            `${(slugs.get(row.tenantId) ?? row.tenantId).padEnd(24)} ${String(row.activeUsers).padStart(13)} ${String(row.events).padStart(11)} ${String(row.eventsPerDay).padStart(11)} ${String(row.storageBytes).padStart(14)}`,
          );
      }
      return 0;
    } finally {
      catalog.close();
    }
  },
};
