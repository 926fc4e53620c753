/**
 * Benchmark: isolation. The contacts list page of a 1,000,000-contact workspace under wrk while
 * heavy work runs in the same server process, against the same page with nothing running, in
 * one run. For each load, every round measures three phases back to back (their order rotating
 * from round to round; these machines are shared and noisy):
 *   idle    wrk alone (the reference: the pool is idle);
 *   pool    the load runs in the server's worker pool, as the routes run it;
 *   pool+N  the same with the pool's threads at a lower scheduling priority (nice N, --nice,
 *           default 10; set from outside the product), what that would buy on few cores;
 *   main    the same task handler runs on the server's own thread (what the pool spares it).
 * Loads (--loads, comma-separated):
 *   segments.count    a segment of 5 rules over the workspace's contacts, counted in a loop;
 *   imports.run       an import of a CSV of --import-rows new contacts (cancelled at the end of
 *                     the phase, so each phase imports the same rows into the same workspace);
 *   reports.activity  the activity report over the last year (2.8 M interactions), in a loop;
 *   reports.pipeline  the pipeline report, in a loop.
 * Each phase: the load starts, --warmup s later wrk runs --seconds s, then the load stops.
 * Printed per load: medians over the rounds of each phase's p50/p99 and req/s, the ratio of its
 * median p99 to the idle phases' (target ≤ 1.5 in the pool), the load's throughput (runs/s or
 * rows/s) and median run time, the server's event-loop lag, and the cores used by the server's
 * main thread, its other threads (the pool's) and the machine. wrk counts only the requests
 * answered within the phase (each within its 2 s timeout): a phase in which the server answered
 * none, or let 1% of the requests time out, shows "none" (its p99 counts as infinite).
 *
 * Usage: bun scripts/bench/isolation.ts [--data DIR] [--contacts N] [--loads L1,L2]
 *          [--import-rows N] [--rounds N] [--seconds N] [--warmup N] [--connections N]
 *          [--wrk-threads N] [--load-workspace same|other] [--nice N]
 *   (npm run bench:isolation). Needs wrk; the pool+N phase needs Linux.
 * --load-workspace other runs the load in a second workspace (created with 1,000 contacts) while
 * the bench workspace's page is measured: the pool's cost to the server without the page's own
 * work growing (a write in the page's workspace makes its cached count and render stale).
 */
import "./bench-env.ts";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH, benchData } from "./bench-data.ts";
import { signInSession, spawnServer } from "./bench-server.ts";
import { otherWorkspace, writeContactsCsv } from "./isolation-loads.ts";
import { coresUsed, snapshot } from "./thread-cpu.ts";
import { median, type WrkResult, wrk } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-isolation") },
    contacts: { type: "string", default: "1000000" },
    loads: { type: "string", default: "segments.count,imports.run" },
    "import-rows": { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "16" },
    "wrk-threads": { type: "string", default: "1" },
    "load-workspace": { type: "string", default: "same" },
    nice: { type: "string", default: "10" },
  },
  strict: true,
});
const dataDir = values.data as string;
const contacts = Number(values.contacts);
const loadNames = (values.loads as string).split(",").filter(Boolean);
const importRows = Number(values["import-rows"]);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const wrkThreads = Number(values["wrk-threads"]);
const loadWorkspace = values["load-workspace"] as string;
const nice = Number(values.nice);
if (loadWorkspace !== "same" && loadWorkspace !== "other")
  throw new Error(`--load-workspace must be same or other, got ${loadWorkspace}`);
const PHASES = ["idle", "pool", "pool-nice", "main"] as const;
type Phase = (typeof PHASES)[number];

await benchData(dataDir, contacts);
const csv = join(dataDir, `isolation-import-${importRows}.csv`);
if (loadNames.includes("imports.run") && !existsSync(csv)) {
  console.error(`writing ${importRows} rows to ${csv}`);
  await writeContactsCsv(`${csv}.part`, importRows);
  await Bun.$`mv ${csv}.part ${csv}`;
}

const crm = await spawnServer([
  "scripts/bench/isolation-server.ts",
  "--data",
  dataDir,
  "--import-csv",
  csv,
  ...(loadWorkspace === "other" ? ["--load-slug", await otherWorkspace(dataDir)] : []),
]);
const controlUrl = String(JSON.parse(crm.startLine).control);
const call = async (path: string) => {
  const response = await fetch(`${controlUrl}${path}`, { method: "POST" });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
};

interface Outcome {
  runs: number;
  units: number;
  ms: number;
  runMs: number[];
  lag: { p99: number; max: number; over20: number };
}
interface Measured {
  wrk: WrkResult;
  outcome: Outcome;
  cores: ReturnType<typeof coresUsed>;
}

try {
  const info = (await call("/info")) as { url: string; threads: number; pid: number };
  const session = await signInSession(info.url);
  const page = `${info.url}/t/${BENCH.slug}/contacts`;
  const first = await fetch(page, { headers: { cookie: session } });
  if (first.status !== 200 || !(await first.text()).includes('<tr id="contact-'))
    throw new Error(`the contacts page did not render (${first.status})`);
  const target = { url: page, headers: { cookie: session }, connections, threads: wrkThreads };

  /** One phase: the load starts, wrk measures the page, the load stops. */
  async function phase(load: string, where: Phase): Promise<Measured> {
    await call(
      where === "idle"
        ? "/start?load=idle"
        : where === "pool-nice"
          ? `/start?load=${load}&where=pool&nice=${nice}`
          : `/start?load=${load}&where=${where}`,
    );
    await Bun.sleep(warmup * 1000);
    const before = snapshot(info.pid);
    const result = await wrk({ ...target, seconds });
    const cores = coresUsed(info.pid, before, snapshot(info.pid));
    const outcome = (await call("/stop")) as Outcome;
    return { wrk: result, outcome, cores };
  }

  const report: Record<string, Record<Phase, Measured[]>> = {};
  for (const load of loadNames) {
    console.error(`preparing ${load}`);
    await call(`/prepare?load=${load}`);
    // Warm up: the page's cache and the pool's thread, the task's file pages in the OS cache.
    await wrk({ ...target, seconds: 1 });
    if (load !== "imports.run") for (const where of ["pool", "main"] as const) await phase(load, where);
    const phases = { idle: [], pool: [], "pool-nice": [], main: [] } as Record<Phase, Measured[]>;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < PHASES.length; i++) {
        const where = PHASES[(i + round) % PHASES.length] as Phase;
        const m = await phase(load, where);
        phases[where].push(m);
        console.error(
          `${load} round ${round + 1} ${where}: ${m.wrk.requestsPerSecond.toFixed(0)} req/s, p50 ${m.wrk.p50Ms.toFixed(2)} ms, p99 ${m.wrk.p99Ms.toFixed(2)} ms, ${m.outcome.units} ${load === "imports.run" ? "rows" : "runs"} in ${(m.outcome.ms / 1000).toFixed(1)} s, lag max ${m.outcome.lag.max.toFixed(1)} ms, cores main ${m.cores.main.toFixed(2)} others ${m.cores.others.toFixed(2)} machine ${m.cores.machine.toFixed(2)}${m.wrk.errors + m.wrk.non2xx ? `, ${m.wrk.errors} socket errors, ${m.wrk.non2xx} non-2xx` : ""}`,
        );
      }
    }
    report[load] = phases;
  }

  const f = (n: number, digits = 2) => n.toFixed(digits).padStart(8);
  /** A latency or ratio; infinite when wrk got no answer at all in the phase (the server never answered). */
  const ms2 = (n: number) => (Number.isFinite(n) ? f(n) : "    none");
  const answered = (m: Measured) =>
    m.wrk.requestsPerSecond > 0 && m.wrk.errors < 0.01 * m.wrk.requestsPerSecond * seconds;
  const p50 = (m: Measured) => (answered(m) ? m.wrk.p50Ms : Number.POSITIVE_INFINITY);
  const p99 = (m: Measured) => (answered(m) ? m.wrk.p99Ms : Number.POSITIVE_INFINITY);
  console.log(
    `\nIsolation: the contacts list page (${contacts.toLocaleString("en-US")} contacts) under wrk (${connections} connections, ${wrkThreads} thread) while a load runs in ${loadWorkspace === "same" ? "the same workspace" : "another workspace"}; ${info.threads} pool thread(s); ${rounds} rounds × ${seconds} s per phase; medians over the rounds; ratio: the phase's median p99 ÷ the idle median p99; none: the server answered nothing, or let 1% of the requests time out (p99 infinite)\n`,
  );
  const summary: Record<string, unknown> = {};
  for (const [load, phases] of Object.entries(report)) {
    const unit = load === "imports.run" ? "rows/s" : "runs/s";
    console.log(`${load}${load === "imports.run" ? ` (${importRows.toLocaleString("en-US")} rows)` : ""}`);
    console.log(
      `  phase        req/s   p50 ms   p99 ms  p99 ratio  ${unit.padStart(9)}  run ms  lag p99  lag max  >20ms  cores: main  others  machine  errors`,
    );
    const rows: Record<string, unknown> = {};
    for (const where of PHASES) {
      const ms = phases[where];
      const med = (pick: (m: Measured) => number) => median(ms.map(pick));
      const ratio = med(p99) / median(phases.idle.map(p99));
      const rate = med((m) => (m.outcome.units / m.outcome.ms) * 1000);
      const runMs = median(ms.flatMap((m) => m.outcome.runMs));
      const errors = ms.reduce((sum, m) => sum + m.wrk.errors + m.wrk.non2xx, 0);
      const row = {
        rps: Math.round(med((m) => m.wrk.requestsPerSecond)),
        p50: med(p50),
        p99: med(p99),
        ratio,
        rate,
        runMs: Number.isNaN(runMs) ? null : runMs,
        lagP99: med((m) => m.outcome.lag.p99),
        lagMax: med((m) => m.outcome.lag.max),
        over20: med((m) => m.outcome.lag.over20),
        cores: {
          main: med((m) => m.cores.main),
          others: med((m) => m.cores.others),
          machine: med((m) => m.cores.machine),
        },
        errors,
      };
      rows[where] = row;
      console.log(
        `  ${(where === "pool-nice" ? `pool+${nice}` : where).padEnd(9)}${String(row.rps).padStart(5)} ${ms2(row.p50)} ${ms2(row.p99)}   ${ms2(ratio)} ${f(rate, rate > 100 ? 0 : 2).padStart(10)} ${row.runMs === null ? "       -" : f(row.runMs, 0)} ${f(row.lagP99, 1)} ${f(row.lagMax, 1)} ${String(row.over20).padStart(6)}  ${f(row.cores.main)} ${f(row.cores.others)} ${f(row.cores.machine)} ${String(errors).padStart(7)}`,
      );
    }
    const pool = rows.pool as { ratio: number };
    console.log(
      `  ${pool.ratio <= 1.5 ? "PASS" : "MISS"}  p99 in the pool ≤ 1.5 × idle (${pool.ratio.toFixed(2)}); pool at nice ${nice} ${(rows["pool-nice"] as { ratio: number }).ratio.toFixed(2)} × idle; on the main thread ${(rows.main as { ratio: number }).ratio.toFixed(2)} × idle\n`,
    );
    summary[load] = rows;
  }
  console.log(
    `reproduce: bun scripts/bench/isolation.ts --contacts ${contacts} --loads ${loadNames.join(",")} --import-rows ${importRows} --rounds ${rounds} --seconds ${seconds} --warmup ${warmup} --connections ${connections} --wrk-threads ${wrkThreads} --load-workspace ${loadWorkspace} --nice ${nice}`,
  );
  console.log(JSON.stringify(summary));
} finally {
  crm.proc.kill("SIGTERM");
  await crm.proc.exited;
}
