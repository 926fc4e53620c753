import { BUCKET_COUNT, bucketOf } from "./latency-buckets.ts";
import type { OpsError, ProcessSample } from "./ops-sample.ts";
import { TenantLoad } from "./tenant-load.ts";

/** How many 5xx answers a process remembers for the dashboard. */
export const RECENT_ERRORS = 50;

/** One answered request, as the recorder is told of it (src/http/middleware/request-metrics.ts). */
export interface AnsweredRequest {
  method: string;
  route: string;
  status: number;
  seconds: number;
  tenant?: string;
  requestId?: string;
}

/** What a sample reads of the server's parts besides the requests (gauges, read when sampled). */
export interface GaugeSources {
  openShards: () => number;
  poolQueued: () => number;
}

/**
 * This process's counts for the ops dashboard, told of every answered request by the request
 * metrics (a few array increments per request, no allocation but for a new route or tenant):
 * requests and 5xx, latency per bucket overall and per route pattern, load per tenant, and the
 * latest 5xx answers with their request ids. `sample()` hands them over as a ProcessSample.
 */
export class OpsRecorder {
  private requests = 0;
  private errors = 0;
  private readonly buckets = new Array<number>(BUCKET_COUNT).fill(0);
  private readonly routes = new Map<string, number[]>();
  private readonly tenants = new TenantLoad();
  private readonly recentErrors: OpsError[] = [];

  constructor(
    private readonly gauges: GaugeSources,
    private readonly now: () => number = Date.now,
    readonly startedAt: number = Date.now(),
  ) {}

  end(request: AnsweredRequest): void {
    const bucket = bucketOf(request.seconds);
    this.requests++;
    this.buckets[bucket] = (this.buckets[bucket] as number) + 1;
    const key = `${request.method} ${request.route}`;
    let route = this.routes.get(key);
    if (!route) {
      route = new Array<number>(BUCKET_COUNT).fill(0);
      this.routes.set(key, route);
    }
    route[bucket] = (route[bucket] as number) + 1;
    if (request.tenant) this.tenants.add(request.tenant, request.seconds);
    if (request.status >= 500) {
      this.errors++;
      if (this.recentErrors.length >= RECENT_ERRORS) this.recentErrors.shift();
      this.recentErrors.push({
        at: this.now(),
        method: request.method,
        route: request.route,
        status: request.status,
        tenant: request.tenant ?? null,
        requestId: request.requestId ?? "",
      });
    }
  }

  sample(): ProcessSample {
    const cpu = process.cpuUsage();
    const routes: Record<string, number[]> = {};
    for (const [key, counts] of this.routes) routes[key] = [...counts];
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      requests: this.requests,
      errors: this.errors,
      buckets: [...this.buckets],
      routes,
      tenants: this.tenants.snapshot(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rssBytes: process.memoryUsage.rss(),
      openShards: this.gauges.openShards(),
      poolQueued: this.gauges.poolQueued(),
      recentErrors: [...this.recentErrors],
    };
  }
}
