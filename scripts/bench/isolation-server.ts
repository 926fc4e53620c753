/**
 * The isolation benchmark's server (bench only): the real server (startServer, its worker pool,
 * its request log) plus a control listener on another port through which isolation.ts starts
 * and stops a background load in this process, in the pool or on this server's own thread.
 * While a load runs, a 1 ms timer records how late the event loop runs (its lag).
 *
 * Usage: bun scripts/bench/isolation-server.ts --data DIR [--import-csv FILE] [--load-slug SLUG]
 * The first stdout line is {"control": URL}; GET /info answers {url, threads}; POST
 * /start?load=NAME&where=pool|main[&nice=N] starts a load (nice: the pool threads' priority during
 * it, default 0); POST /stop stops it and answers its outcome.
 */
import "./bench-env.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { parseArgs } from "node:util";
import { startServer } from "../../src/app/start-server.ts";
import { loadConfig } from "../../src/core/config.ts";
import { BENCH } from "./bench-data.ts";
import {
  idleLoad,
  importLoad,
  type LoadSpec,
  type RunningLoad,
  reportLoad,
  type Where,
} from "./isolation-loads.ts";
import { segmentLoad } from "./isolation-segments.ts";

const { values } = parseArgs({
  options: { data: { type: "string" }, "import-csv": { type: "string" }, "load-slug": { type: "string" } },
  strict: true,
});
if (!values.data) throw new Error("--data DIR is required");

let running: { load: RunningLoad; lag: LagMonitor; nice: NiceHold } | undefined;
// No idle timeout: a stop waits for the run in progress, which may take longer than the default 10 s.
const control = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  fetch: (request) => handle(request),
});
console.log(JSON.stringify({ control: `http://127.0.0.1:${control.port}` }));

const server = startServer(loadConfig(process.env, { dataDir: values.data, port: 0 }));
// The loads run in the bench workspace (whose list page is measured) unless --load-slug names another.
const tenant = server.deps.catalog.findBySlug(values["load-slug"] ?? BENCH.slug);
if (!tenant) throw new Error("no workspace for the loads");
const env = { deps: server.deps, tenant };
const loads = new Map<string, LoadSpec>();

async function loadNamed(name: string): Promise<LoadSpec> {
  let spec = loads.get(name);
  if (spec) return spec;
  if (name === "idle") spec = idleLoad();
  else if (name === "reports.pipeline") spec = reportLoad(env, "pipeline");
  else if (name === "reports.activity") spec = reportLoad(env, "activity");
  else if (name === "segments.count") spec = segmentLoad(env);
  else if (name === "imports.run" && values["import-csv"]) spec = await importLoad(env, values["import-csv"]);
  else throw new Error(`no load ${name}`);
  loads.set(name, spec);
  return spec;
}

/** The event loop's lag, sampled by a 1 ms timer: every late tick's delay. */
class LagMonitor {
  private readonly lags: number[] = [];
  private last = performance.now();
  private readonly timer = setInterval(() => {
    const now = performance.now();
    this.lags.push(Math.max(0, now - this.last - 1));
    this.last = now;
  }, 1);

  stop() {
    clearInterval(this.timer);
    const sorted = this.lags.sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return { p99: at(0.99), max: sorted.at(-1) ?? 0, over20: sorted.filter((l) => l > 20).length };
  }
}

/**
 * Holds the pool's threads (named "Worker" in /proc) at a scheduling priority (a nice value;
 * Linux applies it per thread) while a phase runs, looking every 100 ms for a thread started
 * since. The server's own thread stays as it is: this shows what a lower priority for the pool
 * would buy, without changing the product.
 */
class NiceHold {
  private failure: unknown;
  private readonly timer: Timer;

  constructor(private readonly nice: number) {
    this.apply();
    this.timer = setInterval(() => this.apply(), 100);
  }

  private apply(): void {
    for (const tid of readdirSync("/proc/self/task")) {
      let name: string;
      try {
        name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      } catch {
        continue; // the thread ended
      }
      if (name !== "Worker") continue;
      try {
        if (getPriority(Number(tid)) !== this.nice) setPriority(Number(tid), this.nice);
      } catch (error) {
        // Raising a thread's priority back needs the privilege to: the phase would measure the wrong thing.
        if (existsSync(`/proc/self/task/${tid}`)) this.failure ??= error;
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.failure) throw this.failure;
  }
}

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  try {
    if (url.pathname === "/info")
      return Response.json({ url: server.url, threads: server.deps.config.workers, pid: process.pid });
    if (url.pathname === "/prepare") {
      await loadNamed(url.searchParams.get("load") ?? "");
      return Response.json({ ok: true });
    }
    if (url.pathname === "/start") {
      if (running) throw new Error("a load is running");
      const spec = await loadNamed(url.searchParams.get("load") ?? "");
      const where = url.searchParams.get("where") ?? "pool";
      const nice = new NiceHold(Number(url.searchParams.get("nice") ?? 0));
      const lag = new LagMonitor();
      running = { load: await spec.start(where as Where), lag, nice };
      return Response.json({ ok: true });
    }
    if (url.pathname === "/stop") {
      if (!running) throw new Error("no load is running");
      const { load, lag, nice } = running;
      const loopLag = lag.stop();
      const outcome = await load.stop();
      running = undefined;
      nice.stop();
      return Response.json({ ...outcome, lag: loopLag, pool: server.deps.pool.stats() });
    }
    return new Response("not found", { status: 404 });
  } catch (error) {
    return new Response(String((error as Error).stack ?? error), { status: 500 });
  }
}

process.on("SIGTERM", () => {
  control.stop(true);
  server.stop().then(() => process.exit(0));
});
