import { accessSync, constants, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LoadtestError } from "../loadtest/loadtest-error.ts";
import { sliceErrors, summarizeRun } from "../loadtest/loadtest-summary.ts";
import { type Credentials, prepareRun } from "../loadtest/prepare-run.ts";
import { removeLoadtestRecords } from "../loadtest/remove-records.ts";
import { reportPage } from "../loadtest/report-page.ts";
import { limit, parseDuration, parseUsers, positiveInt } from "../loadtest/run-options.ts";
import { scenarioActions, scenarioFile } from "../loadtest/scenarios.ts";
import { serverRssBytes } from "../loadtest/server-metrics.ts";
import { type SignedInUser, signIn, signOut } from "../loadtest/sign-in.ts";
import { summaryText } from "../loadtest/summary-text.ts";
import { parseWorkspaceUrl, type WorkspaceUrl } from "../loadtest/workspace-url.ts";
import { findWrk, runSlice, type SliceReport } from "../loadtest/wrk-slice.ts";
import type { Command } from "./command.ts";
import { DEMO } from "./demo-workspace.ts";

/** The demo team (README, Quick start): the owner, the admin, the member and the read-only user. */
const DEMO_USERS = ["demo", "sam", "alex", "jordan"]
  .map((name) => `${name}@example.com:${DEMO.password}`)
  .join(",");

/**
 * The seconds of each wrk run: wrk reports a whole run, so the time series is made of
 * consecutive runs; 1 s slices for short runs, 5 s for longer ones (a new wrk costs a few ms
 * and new connections).
 */
function slicePlan(duration: number): number[] {
  const size = duration <= 20 ? 1 : 5;
  const plan: number[] = [];
  for (let left = duration; left > 0; left -= size) plan.push(Math.min(size, left));
  return plan;
}

export const loadtest: Command = {
  name: "loadtest",
  summary: "load-test a running server with a scenario of real users' requests (wrk)",
  help: `Usage: crm loadtest --url http://host:port/t/<workspace> [--scenario S] [--duration D]
         [--connections N] [--users email:password,...] [--report out.html] [--json out.json]
         [--max-p99 MS] [--max-rss-growth PERCENT]

Signs in as the workspace's users, reads real ids from its pages, and drives wrk (apt-get
install wrk) with a scenario script from scripts/loadtest/ (one wrk thread per connection, each
connection one user, round robin). Writes create, edit and move only records named
"loadtest …" (a few made before the run, the rest by it).

  --url URL              the workspace to load, e.g. http://127.0.0.1:3000/t/demo
  --scenario S           browse (read-only), mixed (default: reads and about 20 % writes),
                         write-heavy (half writes)
  --duration D           how long: 30 (seconds, default), 90s, 5m, 2m30s; at most 24 hours
  --connections N        concurrent connections (default 4)
  --users LIST           email:password pairs, comma-separated (a ',' before "name@host:"
                         only, so a password may hold ','; default: the demo team,
                         demo@, sam@, alex@ and jordan@example.com; a read-only user only reads)
  --report FILE          an HTML report (latency and req/s over time, percentiles, memory,
                         each action); the JSON summary goes next to it (FILE with .json)
  --json FILE            the JSON summary
  --max-p99 MS           fail (exit 1) when the run's p99 latency is above MS
  --max-rss-growth PCT   fail (exit 1) when the server's RSS grew more than PCT % from the end
                         of the first slice to the end of the run (needs its /metrics)
  --cleanup              after the run, delete every contact and deal load tests made (tagged
                         "loadtest" and named exactly as runs name them), with the lists' bulk
                         delete
  --cleanup-only         only that: no load

Exit status: 0 passed; 1 a request failed (an answer other than the action expects, a redirect
to the login page included, a socket error or timeout), more than 1 s went unmeasured between
slices (a stall), or a limit was passed; 2 bad input (no wrk, unreachable server, no workspace in
the URL, refused credentials, unknown scenario, an output file that cannot be written): nothing
is run; 130/143 interrupted (SIGINT/SIGTERM: wrk stopped, sessions signed out).`,
  options: {
    url: { type: "string" },
    scenario: { type: "string" },
    duration: { type: "string" },
    connections: { type: "string" },
    users: { type: "string" },
    report: { type: "string" },
    json: { type: "string" },
    "max-p99": { type: "string" },
    "max-rss-growth": { type: "string" },
    cleanup: { type: "boolean" },
    "cleanup-only": { type: "boolean" },
  },
  async run(values) {
    const interrupt = new Interrupt();
    try {
      return await runLoadtest(values, interrupt);
    } catch (error) {
      // An interrupt ends the process itself (its clean-up first): what failed because of it is moot.
      if (interrupt.stopping) await interrupt.stopping;
      if (!(error instanceof LoadtestError)) throw error;
      console.error(`crm loadtest: ${error.message}`);
      return 2;
    }
  },
};

/**
 * SIGINT and SIGTERM during a run: wrk stopped, the data file's folder removed, every session
 * opened so far signed out, then exit 130 (SIGINT) or 143 (SIGTERM).
 */
class Interrupt {
  users: SignedInUser[] = [];
  dataDir: string | undefined;
  wrk: { kill(signal?: number | NodeJS.Signals): void; exited: Promise<number> } | undefined;
  where: WorkspaceUrl | undefined;
  stopping: Promise<never> | undefined;
  private readonly handlers = (["SIGINT", "SIGTERM"] as const).map(
    (signal) => [signal, () => this.stop(signal)] as const,
  );

  listen(where: WorkspaceUrl): void {
    this.where = where;
    for (const [signal, handler] of this.handlers) process.on(signal, handler);
  }

  forget(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
  }

  private stop(signal: "SIGINT" | "SIGTERM"): void {
    if (this.stopping) return;
    this.stopping = (async () => {
      const wrk = this.wrk;
      if (wrk) {
        wrk.kill("SIGKILL");
        await wrk.exited;
      }
      if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
      const where = this.where as WorkspaceUrl;
      await Promise.allSettled(this.users.map((u) => signOut(where.origin, where.slug, u)));
      console.error(`crm loadtest: ${signal}: wrk stopped, the run's sessions signed out`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    })();
  }
}

/** Where --report and --json will write, checked before anything runs (one line, exit 2). */
function checkOutput(file: string, flag: string): void {
  const dir = dirname(resolve(file));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {}
  if (!isDir) throw new LoadtestError(`${flag} ${file}: the folder ${dir} does not exist`);
  try {
    if (existsSync(file) && statSync(file).isDirectory())
      throw new LoadtestError(`${flag} ${file} is a folder, not a file`);
    accessSync(existsSync(file) ? file : dir, constants.W_OK);
  } catch (error) {
    if (error instanceof LoadtestError) throw error;
    throw new LoadtestError(`${flag} ${file} cannot be written (${(error as NodeJS.ErrnoException).code})`);
  }
}

async function runLoadtest(
  values: Record<string, string | boolean | undefined>,
  interrupt: Interrupt,
): Promise<number> {
  if (typeof values.url !== "string")
    throw new LoadtestError("--url is required (e.g. --url http://127.0.0.1:3000/t/demo)");
  const where = parseWorkspaceUrl(values.url);
  const credentials = parseUsers((values.users as string | undefined) ?? DEMO_USERS);
  if (values["cleanup-only"]) return await cleanUp(where, credentials);
  const scenario = (values.scenario as string | undefined) ?? "mixed";
  const script = scenarioFile(scenario);
  const wrk = findWrk();
  const duration = parseDuration((values.duration as string | undefined) ?? "30");
  const connections = positiveInt((values.connections as string | undefined) ?? "4", "connections", 256);
  const maxP99Ms = limit(values["max-p99"] as string | undefined, "max-p99");
  const maxRssGrowthPercent = limit(values["max-rss-growth"] as string | undefined, "max-rss-growth");
  const report = values.report as string | undefined;
  const json =
    (values.json as string | undefined) ?? (report ? report.replace(/(\.html?)?$/, ".json") : undefined);
  if (report) checkOutput(report, "--report");
  if (json) checkOutput(json, values.json === undefined ? "--report's JSON" : "--json");
  if (report && json && resolve(report) === resolve(json))
    throw new LoadtestError(`--json ${json} is the --report file too: give them different names`);

  interrupt.listen(where);
  const prepared = await prepareRun(where, credentials, scenarioActions(script), interrupt.users).catch(
    (error) => {
      interrupt.forget();
      throw error;
    },
  );
  interrupt.dataDir = dirname(prepared.dataFile);
  try {
    const startedAt = new Date();
    const rssStart = (await serverRssBytes(where.origin)) ?? null;
    const slices: SliceReport[] = [];
    const rssAfter: (number | null)[] = [];
    const plan = slicePlan(duration);
    for (const [index, seconds] of plan.entries()) {
      const sliceStarted = performance.now();
      const slice = await runSlice({
        wrk,
        origin: where.origin,
        script,
        dataFile: prepared.dataFile,
        connections,
        seconds,
        index,
        onStart: (proc) => {
          interrupt.wrk = proc;
        },
      });
      interrupt.wrk = undefined;
      slices.push(slice);
      rssAfter.push((await serverRssBytes(where.origin)) ?? null);
      // The slice's wall time: what wrk measured and what it could not (its start, the /metrics read, a stall).
      slice.wall_us = Math.round((performance.now() - sliceStarted) * 1000);
      if (slice.unreachable) {
        console.error(
          `slice ${index + 1}/${plan.length}: ${where.origin} refuses connections; the run stops here`,
        );
        break;
      }
      const gap = (slice.wall_us - slice.duration_us) / 1e6;
      console.error(
        `slice ${index + 1}/${plan.length}: ${(slice.requests / (slice.duration_us / 1e6)).toFixed(0)} req/s, ${sliceErrors(slice)} errors${gap > 0.5 ? `, ${gap.toFixed(1)} s unmeasured after it` : ""}`,
      );
    }
    const summary = summarizeRun({
      url: `${where.origin}${where.base}`,
      scenario,
      startedAt,
      connections,
      users: prepared.users.map((u) => u.email),
      slices,
      rssStart,
      rssAfter,
      run: prepared.run,
      poolCreated: { contacts: prepared.pool.contacts.length, deals: prepared.pool.deals.length },
      maxP99Ms,
      maxRssGrowthPercent,
    });
    console.log(summaryText(summary));
    if (json) writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
    if (report) writeFileSync(report, reportPage(summary));
    for (const file of [json, report]) if (file && existsSync(file)) console.log(`wrote ${file}`);
    const code = summary.failures.length ? 1 : 0;
    return values.cleanup ? Math.max(code, await cleanUpAfterRun(where, prepared.users)) : code;
  } finally {
    if (interrupt.stopping) await interrupt.stopping;
    // The data file holds the users' live sessions: gone with the run, and so are the sessions.
    rmSync(dirname(prepared.dataFile), { recursive: true, force: true });
    await Promise.allSettled(prepared.users.map((u) => signOut(where.origin, where.slug, u)));
    interrupt.forget();
  }
}

/** --cleanup: the run's figures are out already, so a failed clean-up is said and fails the command. */
async function cleanUpAfterRun(where: WorkspaceUrl, users: SignedInUser[]): Promise<number> {
  try {
    return await cleanUp(where, [], users);
  } catch (error) {
    if (!(error instanceof LoadtestError)) throw error;
    console.error(`crm loadtest: ${error.message}`);
    return 1;
  }
}

/** Deletes what load tests made, as the first user who may write (signing in when not yet). */
async function cleanUp(
  where: WorkspaceUrl,
  credentials: Credentials[],
  signedIn: SignedInUser[] = [],
): Promise<number> {
  let writer = signedIn.find((u) => u.canWrite);
  const ours: SignedInUser[] = [];
  for (const c of signedIn.length ? [] : credentials) {
    const user = await signIn(where.origin, where.slug, c.email, c.password);
    ours.push(user);
    if (user.canWrite) {
      writer = user;
      break;
    }
  }
  if (!writer) throw new LoadtestError("none of --users may delete records (all read-only)");
  const removed = await removeLoadtestRecords(where, writer).finally(() =>
    Promise.allSettled(ours.map((u) => signOut(where.origin, where.slug, u))),
  );
  console.log(
    `removed ${removed.contacts} contacts and ${removed.deals} deals a load test made (tagged "loadtest", named as runs name them)`,
  );
  return 0;
}
