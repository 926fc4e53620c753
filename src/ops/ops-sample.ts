/** A 5xx answer, as the dashboard lists it. */
export interface OpsError {
  /** Unix ms. */
  at: number;
  method: string;
  route: string;
  status: number;
  tenant: string | null;
  requestId: string;
}

/**
 * One process's figures at one moment, as it hands them to whoever keeps the history (itself
 * alone, or the supervisor of a `--procs N` group over IPC): counts since the process started,
 * which only grow, and its gauges now. Plain JSON, small (routes are patterns, tenants capped).
 */
export interface ProcessSample {
  pid: number;
  /** Unix ms the process started. */
  startedAt: number;
  requests: number;
  errors: number;
  /** Requests per latency bucket (latency-buckets.ts). */
  buckets: number[];
  /** Per "METHOD /route/pattern": requests per latency bucket. */
  routes: Record<string, number[]>;
  /** Per tenant slug: [requests, seconds spent answering them]. */
  tenants: Record<string, number[]>;
  /** User and system CPU time, seconds. */
  cpuSeconds: number;
  rssBytes: number;
  openShards: number;
  poolQueued: number;
  /** The latest 5xx answers, newest last. */
  recentErrors: OpsError[];
}

/**
 * What grew in each key from `before` to `now`, keys that did not grow left out. A count that
 * went down (a tenant evicted from a process's bounded map and seen again) counts from zero.
 */
export function keyedDelta(
  now: Record<string, number[]>,
  before: Record<string, number[]> | undefined,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [key, values] of Object.entries(now)) {
    const old = before?.[key];
    let grew = false;
    const delta = values.map((v, i) => {
      const d = old && v >= (old[i] ?? 0) ? v - (old[i] ?? 0) : v;
      if (d > 0) grew = true;
      return d;
    });
    if (grew) out[key] = delta;
  }
  return out;
}
