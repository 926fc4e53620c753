/**
 * Benchmark: the five reports on the big workspace — 100,000 contacts, 30,000 deals,
 * 1,000,000 interactions (scripts/bench/bench-data.ts, the same cached data directory as
 * `npm run bench:crm`) — computed in the worker pool as the server computes them, each run
 * timed end to end from the server's thread, while a 1 ms timer measures how late the
 * server's event loop runs (its lag). In the same run, two references:
 *   idle         the event loop's lag with nothing running, as long as the pool run before it took
 *                (measured round by round between the runs: these machines are shared and noisy);
 *   main thread  each report's task called on the server's own thread instead (what the pool
 *                spares the server: every other request would wait that long).
 *
 * Usage: bun scripts/bench/reports.ts [--data DIR] [--rounds N] [--years N]
 *   --years: the range's length back from the workspace's newest contact (default 1; 5 is the most a report accepts).
 * Prints medians over the rounds; for the lag, the median and the worst of each round's worst.
 */
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import activity from "../../src/reports/activity.worker.ts";
import closing from "../../src/reports/closing.worker.ts";
import newContacts from "../../src/reports/new-contacts.worker.ts";
import pipeline from "../../src/reports/pipeline.worker.ts";
import { defaultFrom } from "../../src/reports/report-filters.ts";
import type { ReportName } from "../../src/reports/report-types.ts";
import winRate from "../../src/reports/win-rate.worker.ts";
import { dayNumber, dayText } from "../../src/reports/zone-calendar.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { WorkerPool } from "../../src/workers/pool.ts";
import type { TaskHandler } from "../../src/workers/task-types.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { withLag } from "./event-loop-lag.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-crm") },
    rounds: { type: "string", default: "7" },
    years: { type: "string", default: "1" },
  },
  strict: true,
});
const dataDir = values.data as string;
const rounds = Number(values.rounds);
const years = Number(values.years);

await benchData(dataDir, 100_000, { deals: 30_000, interactionsPerContact: 10 });

const catalog = Catalog.open(dataDir);
const tenant = catalog.findBySlug(BENCH.slug);
if (!tenant) throw new Error("no bench workspace");
const readOnly = new ShardManager({ dataDir, readonly: true });
const shard = readOnly.acquire(tenant);
const count = (table: string) =>
  (shard.statement(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const sizes = { contacts: count("contacts"), deals: count("deals"), interactions: count("interactions") };
// The range ends on the newest contact's day (the seed's "today"), so reruns measure the same rows.
const newest = (shard.statement("SELECT max(created_at) AS t FROM contacts").get() as { t: number }).t;
const to = new Date(newest).toISOString().slice(0, 10);
const from = years <= 1 ? defaultFrom(to) : dayText(dayNumber(to) - years * 365 + 1);
const range = { ownerId: null, from, to, zone: "Europe/Berlin" };
const REPORTS: [ReportName, TaskHandler<never, unknown>, object][] = [
  ["pipeline", pipeline as TaskHandler<never, unknown>, { ownerId: null }],
  ["win-rate", winRate as TaskHandler<never, unknown>, range],
  ["activity", activity as TaskHandler<never, unknown>, range],
  ["new-contacts", newContacts as TaskHandler<never, unknown>, range],
  ["closing", closing as TaskHandler<never, unknown>, { ownerId: null, today: to }],
];

const threads = Math.max(1, availableParallelism() - 1);
const pool = new WorkerPool({ dataDir, threads, maxQueue: 32, timeoutMs: 120_000 });
const input = (params: object) => ({ tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params });
const context = { shard: () => shard };

const results = new Map<
  ReportName,
  { pool: number[]; poolLag: number[]; main: number[]; mainLag: number[]; idleLag: number[] }
>();
try {
  for (const [name, handler, params] of REPORTS) {
    // Warm up: the worker thread starts and opens the file; the pages are in the OS cache.
    await pool.run(`reports.${name}`, input(params));
    await handler(input(params) as never, context);
    const r = {
      pool: [] as number[],
      poolLag: [] as number[],
      main: [] as number[],
      mainLag: [] as number[],
      idleLag: [] as number[],
    };
    for (let i = 0; i < rounds; i++) {
      const inPool = await withLag(() => pool.run(`reports.${name}`, input(params)));
      r.pool.push(inPool.ms);
      r.poolLag.push(inPool.lag);
      r.idleLag.push((await withLag(() => Bun.sleep(inPool.ms))).lag);
      const onMain = await withLag(async () => handler(input(params) as never, context));
      r.main.push(onMain.ms);
      r.mainLag.push(onMain.lag);
    }
    results.set(name, r);
  }
  const fmt = (n: number) => n.toFixed(1).padStart(8);
  console.log(
    `\nReports on ${sizes.contacts.toLocaleString("en-US")} contacts, ${sizes.deals.toLocaleString("en-US")} deals, ${sizes.interactions.toLocaleString("en-US")} interactions; range ${from} … ${to} (Europe/Berlin); ${threads} pool thread(s); medians of ${rounds} rounds, ms; lag: the worst over the rounds\n`,
  );
  console.log(
    "report          in pool   its lag (median / worst)   idle lag (median / worst)   on main thread   its lag (median / worst)",
  );
  const lag = (values: number[]) => `${fmt(median(values))} / ${fmt(Math.max(...values))}`;
  for (const [name, r] of results) {
    console.log(
      `${name.padEnd(14)}${fmt(median(r.pool))}      ${lag(r.poolLag)}         ${lag(r.idleLag)}      ${fmt(median(r.main))}       ${lag(r.mainLag)}`,
    );
  }
  const all = [...results.values()];
  const poolLag = Math.max(...all.flatMap((r) => r.poolLag));
  const idleLag = Math.max(...all.flatMap((r) => r.idleLag));
  const mainLag = Math.max(...all.flatMap((r) => r.mainLag));
  console.log(
    `\nevent loop lag, worst: ${poolLag.toFixed(1)} ms while the pool computed, ${idleLag.toFixed(1)} ms idle (reference): ratio ${(poolLag / Math.max(idleLag, 0.1)).toFixed(2)}; ${mainLag.toFixed(1)} ms computing on the main thread instead`,
  );
  console.log(`reproduce: bun scripts/bench/reports.ts --rounds ${rounds} --years ${years}`);
  console.log(
    JSON.stringify({
      sizes,
      from,
      to,
      threads,
      rounds,
      reports: Object.fromEntries(
        [...results].map(([name, r]) => [
          name,
          {
            poolMs: median(r.pool),
            mainMs: median(r.main),
            poolLagMax: Math.max(...r.poolLag),
            idleLagMax: Math.max(...r.idleLag),
            mainLagMax: Math.max(...r.mainLag),
          },
        ]),
      ),
    }),
  );
} finally {
  await pool.close();
  readOnly.release(shard);
  readOnly.closeAll();
  catalog.close();
}
