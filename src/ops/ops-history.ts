import { addCounts, BUCKET_COUNT, quantile } from "./latency-buckets.ts";
import { RECENT_ERRORS } from "./ops-recorder.ts";
import { keyedDelta, type OpsError, type ProcessSample } from "./ops-sample.ts";

/** What happened between two samples, the whole group's. */
export interface OpsInterval {
  /** Unix ms at the end of the interval. */
  at: number;
  seconds: number;
  requests: number;
  errors: number;
  /** Requests per latency bucket. */
  buckets: number[];
  cpuSeconds: number;
  /** Gauges at the end of the interval, summed over the processes. */
  rssBytes: number;
  openShards: number;
  poolQueued: number;
}

/** A route's or a tenant's share of the recent window. */
export interface RouteLoad {
  route: string;
  requests: number;
  p95Seconds: number;
}
export interface TenantLoadRow {
  slug: string;
  requests: number;
  seconds: number;
}

/** Everything the dashboard shows but storage (read by the process that serves /ops). */
export interface OpsData {
  now: number;
  /** Unix ms the group (or the lone process) started. */
  startedAt: number;
  sampleSeconds: number;
  processes: number;
  intervals: OpsInterval[];
  /** Over RECENT_WINDOW_MS. */
  slowestRoutes: RouteLoad[];
  topTenants: TenantLoadRow[];
  recentErrors: OpsError[];
  /** What the last sample cost its keeper, µs (the sampler's own overhead, shown on the page). */
  tickMicros: number;
  /** Set when a group's supervisor did not answer: one process's figures, without history. */
  partial?: boolean;
}

/** How long the history is kept. */
export const HISTORY_MS = 60 * 60 * 1000;
/** The window slowest routes and top tenants are taken over. */
export const RECENT_WINDOW_MS = 5 * 60 * 1000;
const TOP = 10;
/** Processes whose last figures are remembered after they exit (their recent errors). */
const MAX_REMEMBERED = 64;

/**
 * The ring of intervals behind the ops dashboard, fed a sample of every process at each tick
 * (ops-sampler.ts alone, src/app/group-ops.ts in a group). Each process's counts are compared
 * with its own previous sample, so a process that dies or is replaced never makes the group's
 * figures go backwards: its last counts simply stop growing, and a new one counts from zero.
 */
export class OpsHistory {
  private readonly intervals: OpsInterval[] = [];
  /** Per tick within RECENT_WINDOW_MS: what routes and tenants did in it. */
  private readonly recent: {
    at: number;
    routes: Record<string, number[]>;
    tenants: Record<string, number[]>;
  }[] = [];
  private readonly last = new Map<number, ProcessSample>();
  private lastAt: number | undefined;
  private live = 0;
  tickMicros = 0;

  constructor(
    readonly startedAt: number,
    readonly sampleSeconds: number,
  ) {}

  tick(samples: ProcessSample[], at: number): void {
    const began = performance.now();
    const buckets = new Array<number>(BUCKET_COUNT).fill(0);
    const interval: OpsInterval = {
      at,
      seconds: this.lastAt === undefined ? this.sampleSeconds : (at - this.lastAt) / 1000,
      requests: 0,
      errors: 0,
      buckets,
      cpuSeconds: 0,
      rssBytes: 0,
      openShards: 0,
      poolQueued: 0,
    };
    const routes: Record<string, number[]> = {};
    const tenants: Record<string, number[]> = {};
    for (const sample of samples) {
      const before = this.last.get(sample.pid);
      const from = before && before.startedAt === sample.startedAt ? before : undefined;
      interval.requests += sample.requests - (from?.requests ?? 0);
      interval.errors += sample.errors - (from?.errors ?? 0);
      addCounts(buckets, from ? sample.buckets.map((n, i) => n - (from.buckets[i] ?? 0)) : sample.buckets);
      // A process's CPU before its first sample was spent starting up, not serving.
      interval.cpuSeconds += from ? sample.cpuSeconds - from.cpuSeconds : 0;
      interval.rssBytes += sample.rssBytes;
      interval.openShards += sample.openShards;
      interval.poolQueued += sample.poolQueued;
      for (const [key, d] of Object.entries(keyedDelta(sample.routes, from?.routes)))
        routes[key] = addCounts(routes[key] ?? [], d);
      for (const [key, d] of Object.entries(keyedDelta(sample.tenants, from?.tenants)))
        tenants[key] = addCounts(tenants[key] ?? [], d);
      this.last.delete(sample.pid);
      this.last.set(sample.pid, sample);
    }
    while (this.last.size > MAX_REMEMBERED) this.last.delete(this.last.keys().next().value as number);
    this.live = samples.length;
    this.lastAt = at;
    this.intervals.push(interval);
    while ((this.intervals[0]?.at ?? at) <= at - HISTORY_MS) this.intervals.shift();
    this.recent.push({ at, routes, tenants });
    while ((this.recent[0]?.at ?? at) <= at - RECENT_WINDOW_MS) this.recent.shift();
    this.tickMicros = Math.round((performance.now() - began) * 1000);
  }

  data(now: number): OpsData {
    const routes: Record<string, number[]> = {};
    const tenants: Record<string, number[]> = {};
    for (const tick of this.recent) {
      for (const [key, counts] of Object.entries(tick.routes))
        routes[key] = addCounts(routes[key] ?? [], counts);
      for (const [key, load] of Object.entries(tick.tenants))
        tenants[key] = addCounts(tenants[key] ?? [], load);
    }
    const slowestRoutes = Object.entries(routes)
      .map(([route, counts]) => ({
        route,
        requests: counts.reduce((a, b) => a + b, 0),
        p95Seconds: quantile(counts, 0.95) ?? 0,
      }))
      .sort((a, b) => b.p95Seconds - a.p95Seconds || b.requests - a.requests)
      .slice(0, TOP);
    const topTenants = Object.entries(tenants)
      .map(([slug, [requests, seconds]]) => ({ slug, requests: requests ?? 0, seconds: seconds ?? 0 }))
      .sort((a, b) => b.seconds - a.seconds || b.requests - a.requests)
      .slice(0, TOP);
    const recentErrors = [...this.last.values()]
      .flatMap((s) => s.recentErrors)
      .sort((a, b) => b.at - a.at)
      .slice(0, RECENT_ERRORS);
    return {
      now,
      startedAt: this.startedAt,
      sampleSeconds: this.sampleSeconds,
      processes: this.live,
      intervals: [...this.intervals],
      slowestRoutes,
      topTenants,
      recentErrors,
      tickMicros: this.tickMicros,
    };
  }
}
