/**
 * Benchmark (e): nothing heavy on the request path. Another workspace's contacts list page
 * (`bench-load`, 1,000 contacts) under wrk while the heavy operations of Data & privacy run in a
 * loop on the big workspace (`bench`, 100,000 contacts with their deals and history), against
 * the same page with nothing running, in one run and one server process (this one):
 *   idle         wrk alone: the reference;
 *   <op> pool    the operation as the server runs it: the same worker task in the pool, with its
 *                background task's row (an erasure of the newest contact, each run another one;
 *                a copy of the workspace without secrets, SQLite; every table as CSV in a ZIP);
 *   <op> main    the same service function called on the server's own thread (what the pool
 *                spares it: every request of every workspace waits meanwhile).
 * Each round measures every phase once, back to back (these machines are shared and noisy):
 * the loop starts, --warmup s later wrk runs --seconds s, then the loop stops after the run in
 * progress. Printed: medians over the rounds of each phase's p50 and p99 (ms; wrk waits up to
 * 60 s for an answer, so a late one counts at its latency) and req/s, its p99 over the idle
 * phases' median p99 (the target is ≤ 1.5 in the pool), the runs completed and their median
 * time, the event loop's worst lag, and the cores used during wrk's run by the server's main
 * thread, by its other threads (the pool's) and by the whole machine (on a 2-core machine a
 * pool thread rewriting a file takes one of the two cores from the server and wrk).
 *
 * Usage: bun scripts/bench/heavy.ts [--data DIR] [--contacts N] [--loads erase,sqlite,csv]
 *          [--rounds N] [--seconds N] [--warmup N] [--connections N] [--wrk-threads N]
 *   (npm run bench:heavy). Needs wrk (apt-get install wrk). The data directory is made once
 *   and reused (each erasure takes one contact out of it).
 */
import "./bench-env.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../../src/app/start-server.ts";
import { createBackgroundTask } from "../../src/background/background-tasks.ts";
import { loadConfig } from "../../src/core/config.ts";
import type { Actor } from "../../src/identity/viewer.ts";
import { dropDownloadSlot, newDownloadSlot } from "../../src/privacy/download-files.ts";
import { erasePerson } from "../../src/privacy/erase-person.ts";
import { workspaceCsvDownload, workspaceSqliteDownload } from "../../src/privacy/privacy-downloads.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { signInSession } from "./bench-server.ts";
import { otherWorkspace } from "./isolation-loads.ts";
import { coresUsed, snapshot } from "./thread-cpu.ts";
import { median, parseWrk, type WrkResult } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-heavy") },
    contacts: { type: "string", default: "100000" },
    loads: { type: "string", default: "erase,sqlite,csv" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "16" },
    "wrk-threads": { type: "string", default: "1" },
  },
  strict: true,
});
const dataDir = values.data as string;
const contacts = Number(values.contacts);
const loadNames = (values.loads as string).split(",").filter(Boolean);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const wrkThreads = Number(values["wrk-threads"]);

await benchData(dataDir, contacts);
const pageSlug = await otherWorkspace(dataDir);

const server = startServer(loadConfig({ ...process.env, CRM_ACCESS_LOG: "false" }, { dataDir, port: 0 }));
const { deps } = server;
const found = deps.catalog.findBySlug(BENCH.slug);
if (!found) throw new Error("no bench workspace");
const big = found;
const onMain = <T>(fn: (shard: Shard) => T): Promise<T> => deps.shards.use(big, fn);
const ownerId = await onMain(
  (s) => (s.statement("SELECT id FROM users WHERE email = ?").get(BENCH.email) as { id: number }).id,
);
const actor: Actor = { type: "user", id: ownerId, role: "owner" };
const input = <P>(params: P) => ({ tenantId: big.id, slug: big.slug, file: big.file, params });
const LONG_MS = 10 * 60_000;

/** A background task's row, as the route makes one before it hands the task to the pool. */
const taskRow = (kind: string) =>
  onMain((s) => createBackgroundTask(s, actor, { kind, label: `bench ${kind}` }));
const newestId = (s: Shard) => (s.statement("SELECT max(id) AS id FROM contacts").get() as { id: number }).id;
const newestContact = () => onMain(newestId);

/** Runs `write` with a fresh private download directory, removed afterwards (nobody fetches the file). */
async function withSlot(
  fileName: string,
  write: (slot: { token: string; path: string }) => Promise<unknown>,
) {
  const slot = await newDownloadSlot(dataDir, big.id, fileName);
  try {
    await write(slot);
  } finally {
    await dropDownloadSlot(slot.dir);
  }
}

type Where = "pool" | "main";
const OPS: Record<string, Record<Where, () => Promise<unknown>>> = {
  erase: {
    pool: async () =>
      deps.pool.run(
        "privacy.erase",
        input({ contactId: await newestContact(), actor, backgroundTaskId: await taskRow("erasure") }),
        { timeoutMs: LONG_MS },
      ),
    main: () => onMain((s) => erasePerson(s, actor, newestId(s))),
  },
  sqlite: {
    pool: () =>
      withSlot("bench.sqlite", async (slot) =>
        deps.pool.run(
          "privacy.workspace-sqlite",
          input({
            actor,
            backgroundTaskId: await taskRow("workspace-download"),
            download: {
              ...slot,
              fileName: "bench.sqlite",
              contentType: "application/vnd.sqlite3",
              role: "owner",
            },
          }),
          { timeoutMs: LONG_MS },
        ),
      ),
    main: () =>
      withSlot("bench.sqlite", async (slot) => onMain((s) => workspaceSqliteDownload(s, actor, slot.path))),
  },
  csv: {
    pool: () =>
      withSlot("bench-csv.zip", async (slot) =>
        deps.pool.run(
          "privacy.workspace-csv",
          input({
            actor,
            backgroundTaskId: await taskRow("workspace-download"),
            download: { ...slot, fileName: "bench-csv.zip", contentType: "application/zip", role: "owner" },
          }),
          { timeoutMs: LONG_MS },
        ),
      ),
    main: () =>
      withSlot("bench-csv.zip", async (slot) => onMain((s) => workspaceCsvDownload(s, actor, slot.path))),
  },
};
for (const name of loadNames) if (!OPS[name]) throw new Error(`no load ${name} (erase, sqlite, csv)`);

/** Runs `op` again and again until stopped (yielding to the event loop between runs); stop waits for the run in progress. */
function loop(op: () => Promise<unknown>) {
  let stopping = false;
  const times: number[] = [];
  const done = (async () => {
    while (!stopping) {
      const started = performance.now();
      await op();
      times.push(performance.now() - started);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await done;
      return times;
    },
  };
}

/** The event loop's worst lag (a 1 ms timer's lateness) from now until stop. */
function lagMonitor() {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return worst;
    },
  };
}

const session = await signInSession(server.url, pageSlug);
const pageUrl = `${server.url}/t/${pageSlug}/contacts`;
const page = await fetch(pageUrl, { headers: { cookie: session } });
if (page.status !== 200 || !(await page.text()).includes('<tr id="contact-'))
  throw new Error(`the measured page did not render (${page.status})`);

const phases = ["idle", ...loadNames.flatMap((name) => [`${name} pool`, `${name} main`])];
interface PhaseRun {
  wrk: WrkResult;
  runs: number[];
  lag: number;
  /** Cores used during wrk's run: by the server's main thread, its other threads (the pool's), the machine. */
  cores: { main: number; others: number; machine: number };
}

/**
 * wrk on the measured page, with a timeout long enough that a request the server answers late
 * is counted at its latency (wrk's default, 2 s, would leave it out and flatter the phase).
 */
async function wrkPage(secondsToRun: number): Promise<WrkResult> {
  const proc = Bun.spawn(
    [
      "wrk",
      `-t${wrkThreads}`,
      `-c${connections}`,
      `-d${secondsToRun}s`,
      "--timeout",
      "60s",
      "--latency",
      "-H",
      `cookie: ${session}`,
      pageUrl,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [output, errors, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`wrk failed (${code}): ${errors}`);
  return parseWrk(output);
}
const results = new Map<string, PhaseRun[]>(phases.map((p) => [p, []]));

async function measure(phase: string): Promise<PhaseRun> {
  const [name, where] = phase.split(" ") as [string, Where | undefined];
  const lag = lagMonitor();
  const running = where ? loop(OPS[name]?.[where] as () => Promise<unknown>) : undefined;
  await Bun.sleep(warmup * 1000);
  const before = snapshot(process.pid);
  const measured = await wrkPage(seconds);
  const cores = coresUsed(process.pid, before, snapshot(process.pid));
  const runs = (await running?.stop()) ?? [];
  return { wrk: measured, runs, lag: lag.stop(), cores };
}

try {
  // Warm: the worker thread, the files in the OS cache, each operation once each way.
  await wrkPage(1);
  for (const name of loadNames) for (const where of ["pool", "main"] as const) await OPS[name]?.[where]();
  for (let round = 0; round < rounds; round++) {
    for (const phase of phases) {
      const run = await measure(phase);
      results.get(phase)?.push(run);
      console.error(
        `round ${round + 1} ${phase.padEnd(12)} p50 ${run.wrk.p50Ms.toFixed(2)} ms, p99 ${run.wrk.p99Ms.toFixed(2)} ms, ${run.wrk.requestsPerSecond.toFixed(0)} req/s, ${run.wrk.errors} errors; ${run.runs.length} runs; lag ${run.lag.toFixed(1)} ms; cores main ${run.cores.main.toFixed(2)}, pool ${run.cores.others.toFixed(2)}, machine ${run.cores.machine.toFixed(2)}`,
      );
    }
  }

  const idleP99 = median((results.get("idle") ?? []).map((r) => r.wrk.p99Ms));
  console.log(
    `\nAnother workspace's contacts page (${pageSlug}) while Data & privacy operations run in a loop on ${BENCH.slug} (${contacts.toLocaleString("en-US")} contacts); ${deps.config.workers} pool thread(s), ${connections} connections, ${seconds} s × ${rounds} rounds (medians)\n`,
  );
  console.log(
    "phase          p50 ms    p99 ms   ÷ idle p99    req/s   errors   runs   run ms (median)   worst lag ms   cores: main / pool / machine",
  );
  const summary: Record<string, object> = {};
  for (const [phase, runs] of results) {
    const p50 = median(runs.map((r) => r.wrk.p50Ms));
    const p99 = median(runs.map((r) => r.wrk.p99Ms));
    const rps = median(runs.map((r) => r.wrk.requestsPerSecond));
    const timeouts = runs.reduce((sum, r) => sum + r.wrk.errors, 0);
    const times = runs.flatMap((r) => r.runs);
    const lag = Math.max(...runs.map((r) => r.lag));
    // A phase in which the server answered nothing has no latency: an infinite p99.
    const answered = runs.every((r) => r.wrk.requestsPerSecond > 0 && r.wrk.p99Ms > 0);
    const ratio = answered ? p99 / idleP99 : Number.POSITIVE_INFINITY;
    const cores = {
      main: median(runs.map((r) => r.cores.main)),
      pool: median(runs.map((r) => r.cores.others)),
      machine: median(runs.map((r) => r.cores.machine)),
    };
    summary[phase] = {
      cores,
      p50,
      p99,
      ratio,
      rps,
      timeouts,
      runs: times.length,
      runMs: times.length ? median(times) : null,
      lag,
    };
    console.log(
      `${phase.padEnd(12)} ${(answered ? p50.toFixed(2) : "none").padStart(8)}  ${(answered ? p99.toFixed(2) : "none").padStart(8)}   ${(answered ? ratio.toFixed(2) : "∞").padStart(10)}  ${rps.toFixed(0).padStart(7)}   ${String(timeouts).padStart(6)}   ${String(times.length).padStart(4)}   ${(times.length ? median(times).toFixed(0) : "-").padStart(15)}   ${lag.toFixed(1).padStart(12)}   ${cores.main.toFixed(2)} / ${cores.pool.toFixed(2)} / ${cores.machine.toFixed(2)}`,
    );
  }
  console.log("");
  for (const name of loadNames) {
    const ratio = (summary[`${name} pool`] as { ratio: number }).ratio;
    console.log(
      `${ratio <= 1.5 ? "PASS" : "MISS"}  ${name} in the pool: p99 ≤ 1.5 × idle (${ratio.toFixed(2)})`,
    );
  }
  console.log(
    `\nreproduce: bun scripts/bench/heavy.ts --contacts ${contacts} --loads ${loadNames.join(",")} --rounds ${rounds} --seconds ${seconds} --connections ${connections}`,
  );
  console.log(JSON.stringify({ contacts, threads: deps.config.workers, idleP99, summary }));
} finally {
  await server.stop();
}
process.exit(0);
