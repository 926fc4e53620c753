import {
  bucketHistogram,
  type Histogram,
  mergeHistograms,
  PERCENTILES,
  percentile,
} from "./latency-histogram.ts";
import type { SliceReport } from "./wrk-slice.ts";

export interface ActionSummary {
  name: string;
  count: number;
  /** Answers that were not 2xx or 3xx. */
  errors: number;
  statuses: Record<string, number>;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SliceSummary {
  /** Seconds since the run began (wall clock). */
  from: number;
  /** wrk's own duration of the slice. */
  seconds: number;
  /** The slice's wall time: wrk's start and exit, and the /metrics read after it. */
  wallSeconds: number;
  /** Wall time no request of the slice measured: wallSeconds less seconds. */
  gapSeconds: number;
  /** Requests still unanswered when the slice ended (dropped by wrk; the stalled ones count as timeouts). */
  unanswered: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** The server's RSS at the slice's end, when /metrics is readable. */
  rssBytes: number | null;
}

/** What `crm loadtest` reports: the text summary, the JSON file and the HTML report all show this. */
export interface LoadtestSummary {
  url: string;
  scenario: string;
  startedAt: string;
  seconds: number;
  connections: number;
  users: string[];
  requests: number;
  requestsPerSecond: number;
  bytes: number;
  errors: {
    total: number;
    /** Answers with a 2xx or 3xx status other than the action expects (e.g. a redirect to the login page). */
    unexpected: number;
    /** Answers that were not 2xx or 3xx, by status. */
    byStatus: Record<string, number>;
    /** Connections refused or dropped, requests that timed out (wrk's socket errors). */
    socket: { connect: number; read: number; write: number; timeout: number };
  };
  latencyMs: Record<"min" | "mean" | "max" | `p${string}`, number>;
  slices: SliceSummary[];
  actions: ActionSummary[];
  /** Server memory: at the start, after the first slice (warm), at the end; growth from warm to end. */
  rss: {
    startBytes: number | null;
    warmBytes: number | null;
    endBytes: number | null;
    growthPercent: number | null;
  };
  /**
   * Records the run created, the preparation's included: contacts "loadtest <run>-…" (first
   * name "loadtest", tag "loadtest"), deals "loadtest deal <run>-…".
   */
  created: { run: string; contacts: number; deals: number };
  limits: { maxP99Ms: number | null; maxRssGrowthPercent: number | null };
  /** Why the run failed (errors, a limit passed); empty when it passed. */
  failures: string[];
}

const ms = (us: number) => Math.round(us) / 1000;

function histogramOf(slice: SliceReport): Histogram {
  return new Map(Array.isArray(slice.histogram) ? slice.histogram : []);
}

/** A slice's failed requests: answers other than 2xx/3xx, and socket errors and timeouts. */
export function sliceErrors(slice: SliceReport): number {
  const statusErrors = Object.values(slice.actions).reduce((sum, a) => sum + a.errors, 0);
  const { connect, read, write, timeout, status } = slice.errors;
  return Math.max(status, statusErrors) + connect + read + write + timeout;
}

/** A slice's wall time in seconds (wrk's duration when it was not measured). */
const wallOf = (slice: SliceReport) => Math.max(slice.wall_us ?? 0, slice.duration_us) / 1e6;

/** A gap this long between what wrk measured and the wall clock fails the run: the server stalled. */
export const MAX_GAP_SECONDS = 1;

export function summarizeSlices(
  slices: SliceReport[],
  rssAfter: (number | null)[],
): Omit<SliceSummary, never>[] {
  let from = 0;
  return slices.map((slice, i) => {
    const h = histogramOf(slice);
    const seconds = slice.duration_us / 1e6;
    const wall = wallOf(slice);
    const summary: SliceSummary = {
      from: Math.round(from * 10) / 10,
      seconds: Math.round(seconds * 100) / 100,
      wallSeconds: Math.round(wall * 100) / 100,
      gapSeconds: Math.round((wall - seconds) * 100) / 100,
      unanswered: Array.isArray(slice.unanswered_us) ? slice.unanswered_us.length : 0,
      requests: slice.requests,
      requestsPerSecond: seconds > 0 ? Math.round((slice.requests / seconds) * 10) / 10 : 0,
      p50Ms: ms(percentile(h, 50)),
      p99Ms: ms(percentile(h, 99)),
      maxMs: ms(slice.latency.max),
      errors: sliceErrors(slice),
      rssBytes: rssAfter[i] ?? null,
    };
    from += wall;
    return summary;
  });
}

function summarizeActions(slices: SliceReport[]): ActionSummary[] {
  const names = [...new Set(slices.flatMap((s) => Object.keys(s.actions)))].sort();
  return names.map((name) => {
    const parts = slices.flatMap((s) => (s.actions[name] ? [s.actions[name]] : []));
    const count = parts.reduce((sum, p) => sum + p.count, 0);
    const statuses: Record<string, number> = {};
    for (const p of parts)
      for (const [status, n] of Object.entries(p.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
    const h = mergeHistograms(parts.map((p) => bucketHistogram(p.buckets)));
    const maxUs = Math.max(0, ...parts.map((p) => p.max_us));
    // A bucket's upper bound can pass the slowest request itself: never say more than it took.
    const upTo = (percent: number) => ms(Math.min(percentile(h, percent), maxUs));
    return {
      name,
      count,
      errors: parts.reduce((sum, p) => sum + p.errors, 0),
      statuses,
      meanMs: ms(parts.reduce((sum, p) => sum + p.sum_us, 0) / Math.max(1, count)),
      p50Ms: upTo(50),
      p99Ms: upTo(99),
      maxMs: ms(maxUs),
    };
  });
}

export interface SummaryInput {
  url: string;
  scenario: string;
  startedAt: Date;
  connections: number;
  users: string[];
  slices: SliceReport[];
  rssStart: number | null;
  /** The server's RSS after each slice. */
  rssAfter: (number | null)[];
  /** The run's name in the records it creates. */
  run: string;
  poolCreated: { contacts: number; deals: number };
  maxP99Ms: number | null;
  maxRssGrowthPercent: number | null;
}

export function summarizeRun(input: SummaryInput): LoadtestSummary {
  const { slices } = input;
  const whole = mergeHistograms(slices.map(histogramOf));
  const requests = slices.reduce((sum, s) => sum + s.requests, 0);
  // The wall clock, not wrk's durations: time the server took between slices is the run's too.
  const seconds = slices.reduce((sum, s) => sum + wallOf(s), 0);
  const actions = summarizeActions(slices);
  const byStatus: Record<string, number> = {};
  for (const a of actions)
    for (const [status, n] of Object.entries(a.statuses))
      if (!/^[23]\d\d$/.test(status)) byStatus[status] = (byStatus[status] ?? 0) + n;
  const socket = { connect: 0, read: 0, write: 0, timeout: 0 };
  for (const s of slices)
    for (const k of Object.keys(socket) as (keyof typeof socket)[]) socket[k] += s.errors[k];
  const total = slices.reduce((sum, s) => sum + sliceErrors(s), 0);
  const answered = slices.filter((s) => s.requests > 0);
  const latencyMs: LoadtestSummary["latencyMs"] = {
    min: ms(answered.length ? Math.min(...answered.map((s) => s.latency.min)) : 0),
    mean: ms(answered.reduce((sum, s) => sum + s.latency.mean * s.requests, 0) / Math.max(1, requests)),
    max: ms(Math.max(0, ...answered.map((s) => s.latency.max))),
  };
  for (const p of PERCENTILES) latencyMs[`p${p}`] = ms(percentile(whole, p));
  const warm = input.rssAfter[0] ?? null;
  const end = input.rssAfter[input.rssAfter.length - 1] ?? null;
  const growthPercent = warm && end ? Math.round(((end - warm) / warm) * 1000) / 10 : null;
  const unexpected = slices.reduce(
    (sum, s) => sum + Object.values(s.actions).reduce((n, a) => n + (a.unexpected ?? 0), 0),
    0,
  );
  const createdBy = (action: string) => slices.reduce((sum, s) => sum + (s.actions[action]?.created ?? 0), 0);
  const sliceSummaries = summarizeSlices(slices, input.rssAfter);
  const failures: string[] = [];
  if (total > 0) failures.push(`${total} error${total === 1 ? "" : "s"}`);
  const gaps = sliceSummaries.filter((s) => s.gapSeconds > MAX_GAP_SECONDS);
  if (gaps.length)
    failures.push(
      `${gaps.map((g) => `${g.gapSeconds} s`).join(", ")} unmeasured between slices (the server stalled?)`,
    );
  if (input.maxP99Ms !== null && (latencyMs.p99 as number) > input.maxP99Ms)
    failures.push(`p99 ${latencyMs.p99} ms is over --max-p99 ${input.maxP99Ms} ms`);
  if (input.maxRssGrowthPercent !== null) {
    if (growthPercent === null) failures.push("RSS growth unknown: the server's /metrics could not be read");
    else if (growthPercent > input.maxRssGrowthPercent)
      failures.push(`RSS grew ${growthPercent} %, over --max-rss-growth ${input.maxRssGrowthPercent} %`);
  }
  return {
    url: input.url,
    scenario: input.scenario,
    startedAt: input.startedAt.toISOString(),
    seconds: Math.round(seconds * 100) / 100,
    connections: input.connections,
    users: input.users,
    requests,
    requestsPerSecond: Math.round((requests / Math.max(seconds, 1e-9)) * 10) / 10,
    bytes: slices.reduce((sum, s) => sum + s.bytes, 0),
    errors: { total, unexpected, byStatus, socket },
    latencyMs,
    slices: sliceSummaries,
    actions,
    rss: { startBytes: input.rssStart, warmBytes: warm, endBytes: end, growthPercent },
    created: {
      run: input.run,
      contacts: input.poolCreated.contacts + createdBy("create_contact"),
      deals: input.poolCreated.deals + createdBy("create_deal"),
    },
    limits: { maxP99Ms: input.maxP99Ms, maxRssGrowthPercent: input.maxRssGrowthPercent },
    failures,
  };
}
