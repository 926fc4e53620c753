/**
 * Benchmark: the server thread's longest stall around an erasure in a big workspace (100,000
 * contacts by default), whose file rewrite leaves ~100 MB in the write-ahead log. In one process
 * and one run, each round measures both ways, back to back:
 *   auto   the server's connections checkpoint automatically (SQLite's wal_autocheckpoint, 1000
 *          pages), as before: the reference;
 *   pool   as the server runs now: no automatic checkpoint on its thread, the pool checkpoints
 *          a workspace whose log has grown (the shard manager's `checkpoint` option);
 *   idle   the same writes as the server runs now, for 5 s with no erasure: what the machine
 *          alone costs in that run (a loaded 2-core box is late by tens of ms at times).
 * The erasure (of the newest contact) runs in the pool as the server runs it; meanwhile, and
 * for --after-ms after it, the server's thread writes to the same workspace every 5 ms (a
 * contact's title, one short transaction; a lock wait past CRM_BUSY_TIMEOUT_MS counts as
 * refused, the server's 503) and a 1 ms timer measures the event loop's worst lag. Printed: per
 * way, the medians over the rounds of the worst lag and of the slowest write, their maxima, and
 * pool ÷ auto.
 *
 * Usage: bun scripts/bench/checkpoint-stall.ts [--data DIR] [--contacts N] [--rounds N] [--after-ms N]
 *   The data directory is made once and reused (each erasure takes one contact out of it).
 */
import "./bench-env.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDeps } from "../../src/app/start-server.ts";
import { createBackgroundTask } from "../../src/background/background-tasks.ts";
import { loadConfig } from "../../src/core/config.ts";
import { Logger } from "../../src/core/logger.ts";
import type { Actor } from "../../src/identity/viewer.ts";
import { isLocked } from "../../src/tenancy/locked.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-checkpoint") },
    contacts: { type: "string", default: "100000" },
    rounds: { type: "string", default: "5" },
    "after-ms": { type: "string", default: "2000" },
  },
  strict: true,
});
const dataDir = values.data as string;
const rounds = Number(values.rounds);
const afterMs = Number(values["after-ms"]);

await benchData(dataDir, Number(values.contacts));
const config = loadConfig({ ...process.env, CRM_ACCESS_LOG: "false" }, { dataDir, port: 0 });
const deps = createDeps(config, new Logger({ write() {}, flush() {} }));
const found = deps.catalog.findBySlug(BENCH.slug);
if (!found) throw new Error("no bench workspace");
const big = found;
/** The server's thread's connections as before: SQLite's automatic checkpoints, the server's short lock wait. */
const auto = new ShardManager({ dataDir, busyTimeoutMs: config.busyTimeoutMs });
const ways = { auto, pool: deps.shards, idle: deps.shards } as const;

const ownerId = await deps.shards.use(
  big,
  (s) => (s.statement("SELECT id FROM users WHERE email = ?").get(BENCH.email) as { id: number }).id,
);
const actor: Actor = { type: "user", id: ownerId, role: "owner" };
const newestId = (s: Shard) => (s.statement("SELECT max(id) AS id FROM contacts").get() as { id: number }).id;
const oldestId = (s: Shard) => (s.statement("SELECT min(id) AS id FROM contacts").get() as { id: number }).id;

interface Run {
  lag: number;
  slowestWrite: number;
  writes: number;
  refused: number;
  eraseMs: number;
}

async function measure(shards: ShardManager, erase: boolean): Promise<Run> {
  const { contactId, taskId, target } = await shards.use(big, (s) => ({
    contactId: newestId(s),
    target: oldestId(s),
    taskId: createBackgroundTask(s, actor, { kind: "erasure", label: "bench erasure" }),
  }));
  const run: Run = { lag: 0, slowestWrite: 0, writes: 0, refused: 0, eraseMs: 0 };
  let last = performance.now();
  const lag = setInterval(() => {
    const now = performance.now();
    run.lag = Math.max(run.lag, now - last - 1);
    last = now;
  }, 1);
  let n = 0;
  const writer = setInterval(() => {
    const started = performance.now();
    const s = shards.acquire(big);
    try {
      s.transaction(() =>
        s.statement("UPDATE contacts SET title = ? WHERE id = ?").run(`Bench ${n++}`, target),
      );
      run.writes++;
    } catch (error) {
      if (!isLocked(error)) throw error;
      run.refused++;
    } finally {
      shards.release(s);
    }
    run.slowestWrite = Math.max(run.slowestWrite, performance.now() - started);
  }, 5);
  const started = performance.now();
  if (!erase) await new Promise((resolve) => setTimeout(resolve, 5000));
  else
    await deps.pool.run(
      "privacy.erase",
      {
        tenantId: big.id,
        slug: big.slug,
        file: big.file,
        params: { contactId, actor, backgroundTaskId: taskId },
      },
      { timeoutMs: 10 * 60_000 },
    );
  run.eraseMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  clearInterval(writer);
  clearInterval(lag);
  return run;
}

const results: Record<keyof typeof ways, Run[]> = { auto: [], pool: [], idle: [] };
for (let round = 0; round < rounds; round++) {
  for (const [way, shards] of Object.entries(ways) as [keyof typeof ways, ShardManager][]) {
    const run = await measure(shards, way !== "idle");
    // Closed outside the measurement, so the next way opens the file afresh.
    shards.closeAll();
    results[way].push(run);
    console.error(
      `round ${round + 1} ${way.padEnd(4)} worst lag ${run.lag.toFixed(1)} ms, slowest write ${run.slowestWrite.toFixed(1)} ms, ${run.writes} writes, ${run.refused} refused, ${way === "idle" ? "waited" : "erasure"} ${run.eraseMs.toFixed(0)} ms`,
    );
  }
}
await deps.pool.close();
deps.catalog.close();

console.log("way    worst lag ms (median / max)   slowest write ms (median / max)   writes   refused");
const figures = (runs: Run[]) => ({
  lag: median(runs.map((r) => r.lag)),
  lagMax: Math.max(...runs.map((r) => r.lag)),
  write: median(runs.map((r) => r.slowestWrite)),
  writeMax: Math.max(...runs.map((r) => r.slowestWrite)),
  writes: runs.reduce((sum, r) => sum + r.writes, 0),
  refused: runs.reduce((sum, r) => sum + r.refused, 0),
});
const shown = { auto: figures(results.auto), pool: figures(results.pool), idle: figures(results.idle) };
for (const [way, f] of Object.entries(shown)) {
  console.log(
    `${way.padEnd(6)} ${f.lag.toFixed(1).padStart(10)} / ${f.lagMax.toFixed(1).padEnd(14)} ${f.write.toFixed(1).padStart(14)} / ${f.writeMax.toFixed(1).padEnd(16)} ${String(f.writes).padStart(6)}   ${String(f.refused).padStart(7)}`,
  );
}
console.log(
  `pool ÷ auto: worst lag ${(shown.pool.lag / shown.auto.lag).toFixed(2)}, slowest write ${(shown.pool.write / shown.auto.write).toFixed(2)}; pool ÷ idle: worst lag ${(shown.pool.lag / shown.idle.lag).toFixed(2)} (medians)`,
);
