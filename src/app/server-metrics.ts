import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AppDeps } from "../http/app-env.ts";
import { rateLimited } from "../http/middleware/rate-limit.ts";
import type { ObservedRequest, RequestObserver } from "../http/middleware/request-metrics.ts";
import type { OpsRecorder } from "../ops/ops-recorder.ts";
import { latestRun } from "../tenancy/analytics-ledger.ts";
import { cacheLookups } from "../tenancy/versioned-cache.ts";
import { busyRetries } from "./retry-when-busy.ts";

/** Request durations' buckets (s): pages answer in a few ms, so the low end is fine-grained. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The parts of the server the metrics read when scraped (never on the request path). */
export type MetricsSources = Pick<AppDeps, "shards" | "pool" | "catalog">;

/**
 * This process's metrics in Prometheus' text format (GET /metrics, metrics-routes.ts), by
 * prom-client: the process's own (CPU, RSS, open file descriptors, event-loop lag and its
 * percentiles, heap) and the server's: requests by route pattern, method and status class,
 * their durations, requests in flight; open workspace files and opens; the worker pool's
 * threads, queue and task outcomes; cache hits and misses; busy retries; workspaces out of
 * service; the last analytics run. What other parts count is read when scraped. One registry per server, so two in one process (the
 * tests) never share counts.
 */
export class ServerMetrics implements RequestObserver {
  readonly registry = new Registry();
  private readonly inFlight: Gauge;
  private readonly requests: Counter<"method" | "route" | "status_class">;
  private readonly durations: Histogram<"method" | "route">;

  constructor(
    sources: MetricsSources,
    /** Told of every answered request too: the ops dashboard's counts (src/ops/ops-recorder.ts). */
    private readonly ops?: OpsRecorder,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.inFlight = new Gauge({
      name: "crm_http_requests_in_flight",
      help: "Requests being answered.",
      registers,
    });
    this.requests = new Counter({
      name: "crm_http_requests_total",
      help: "Requests answered, by method, route pattern and status class (2xx, 3xx, 4xx, 5xx).",
      labelNames: ["method", "route", "status_class"],
      registers,
    });
    this.durations = new Histogram({
      name: "crm_http_request_duration_seconds",
      help: "Time from a request's arrival in the app to its answer, by method and route pattern.",
      labelNames: ["method", "route"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    // With `--procs N` the supervisor adds the processes' figures up (group-member.ts); a figure
    // of the host's, the same in every process, is taken once instead ("max").
    const gauge = (name: string, help: string, read: () => number, aggregator: "sum" | "max" = "sum") =>
      new Gauge({
        name,
        help,
        registers,
        aggregator,
        collect() {
          this.set(read());
        },
      });
    gauge("crm_open_shards", "Workspace files open in this process.", () => sources.shards.openCount);
    gauge(
      "crm_max_open_shards",
      "The cap on open workspace files (CRM_MAX_OPEN_SHARDS).",
      () => sources.shards.maxOpen,
    );
    /** A count kept elsewhere, shown as a counter (read when scraped; it only grows). */
    const counter = (
      name: string,
      help: string,
      labelNames: string[],
      read: () => [Record<string, string>, number][],
    ) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [labels, n] of read()) this.inc(labels, n);
        },
      });
    counter(
      "crm_shard_opens_total",
      "Workspace files opened (rising fast: the open-file cap is too low).",
      [],
      () => [[{}, sources.shards.opens]],
    );
    gauge(
      "crm_failed_workspaces",
      "Workspaces taken out of service (file gone, replaced or damaged); -1 when the catalog could not be read.",
      () => readOrUndefined(() => sources.catalog.failed().length) ?? -1,
      "max",
    );
    const pool = () => sources.pool.stats();
    gauge("crm_pool_threads", "Worker threads alive.", () => pool().threads);
    gauge("crm_pool_running", "Tasks running in the worker pool.", () => pool().running);
    gauge("crm_pool_queued", "Tasks waiting for a worker.", () => pool().queued);
    counter("crm_pool_tasks_total", "Worker tasks ended, by outcome.", ["outcome"], () => {
      const { completed, refused, timedOut, cancelled, failed } = pool();
      return Object.entries({ completed, refused, timedOut, cancelled, failed }).map(([outcome, n]) => [
        { outcome },
        n,
      ]);
    });
    counter(
      "crm_cache_lookups_total",
      "Lookups in the per-workspace caches (never stale: keyed by the workspace's version), by cache and result.",
      ["cache", "result"],
      () =>
        [...cacheLookups].flatMap(([cache, { hits, misses }]) => [
          [{ cache, result: "hit" }, hits] as [Record<string, string>, number],
          [{ cache, result: "miss" }, misses] as [Record<string, string>, number],
        ]),
    );
    counter(
      "crm_busy_retries_total",
      "Requests answered 503 for a workspace file locked by another connection, run again (replay) or still busy at the end (gave_up).",
      ["result"],
      () => [
        [{ result: "replay" }, busyRetries.replays],
        [{ result: "gave_up" }, busyRetries.gaveUp],
      ],
    );
    counter(
      "crm_rate_limited_total",
      "Requests answered 429 for going past a rate limit, by the limit: one client address's, one workspace's, one API key's, or an address's failed API key checks.",
      ["limit"],
      () => [
        [{ limit: "address" }, rateLimited.address],
        [{ limit: "workspace" }, rateLimited.workspace],
        [{ limit: "key" }, rateLimited.key],
        [{ limit: "key_failures" }, rateLimited.keyFailures],
      ],
    );
    new Gauge({
      name: "crm_analytics_last_run_end_seconds",
      help: "When the host's last analytics run ended (Unix time), by status; absent before the first.",
      labelNames: ["status"],
      registers,
      aggregator: "max",
      collect() {
        this.reset();
        // A catalog another process holds locked at this moment leaves the figure out, not the scrape.
        const run = readOrUndefined(() => latestRun(sources.catalog));
        if (run?.endedAt) this.set({ status: run.status }, run.endedAt / 1000);
      },
    });
  }

  begin(): void {
    this.inFlight.inc();
  }

  end(request: ObservedRequest): void {
    const { method, route, status, seconds } = request;
    this.inFlight.dec();
    const known = KNOWN_METHODS.has(method) ? method : "other";
    this.requests.inc({ method: known, route, status_class: `${Math.floor(status / 100)}xx` });
    this.durations.observe({ method: known, route }, seconds);
    this.ops?.end({ ...request, method: known });
  }
}

function readOrUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Methods counted by name; anything else is "other", so a client cannot add labels at will. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
