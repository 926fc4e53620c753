import { addCounts, BUCKET_COUNT, quantile } from "./latency-buckets.ts";
import type { OpsData, OpsInterval } from "./ops-history.ts";

/** The availability objective the error budget is counted against. */
export const SLO = 0.999;
/** The charts: this many points at most, each at least POINT_MS wide. */
export const CHART_POINTS = 60;
const POINT_MS = 15_000;

/** One point of the charts: intervals merged. */
export interface OpsPoint {
  at: number;
  requestsPerSecond: number;
  errorsPerSecond: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Percent of one core. */
  cpuPercent: number;
  rssMegabytes: number;
  openShards: number;
  poolQueued: number;
}

/** Error rate and latency over a stretch of the history. */
export interface OpsWindow {
  seconds: number;
  requests: number;
  errors: number;
  /** 5xx / all, 0–1; null without requests. */
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface OpsSummary {
  /** The objective, 0–1. */
  slo: number;
  uptimeSeconds: number;
  last5m: OpsWindow;
  kept: OpsWindow;
  /** What is left of the error budget over the history kept, percent (negative: overspent). */
  budgetLeftPercent: number;
  points: OpsPoint[];
}

const ms = (seconds: number | undefined) => (seconds === undefined ? null : Math.round(seconds * 10000) / 10);

function merge(intervals: OpsInterval[]): OpsWindow {
  const buckets = new Array<number>(BUCKET_COUNT).fill(0);
  let seconds = 0;
  let requests = 0;
  let errors = 0;
  for (const i of intervals) {
    addCounts(buckets, i.buckets);
    seconds += i.seconds;
    requests += i.requests;
    errors += i.errors;
  }
  return {
    seconds,
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    p50Ms: ms(quantile(buckets, 0.5)),
    p95Ms: ms(quantile(buckets, 0.95)),
    p99Ms: ms(quantile(buckets, 0.99)),
  };
}

/** The charts' points: the intervals grouped by POINT_MS (or the sample, if longer), the latest CHART_POINTS. */
function points(data: OpsData): OpsPoint[] {
  const width = Math.max(POINT_MS, data.sampleSeconds * 1000);
  const groups = new Map<number, OpsInterval[]>();
  for (const i of data.intervals) {
    const key = Math.floor(i.at / width) * width;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  return [...groups.entries()].slice(-CHART_POINTS).map(([at, intervals]) => {
    const window = merge(intervals);
    const last = intervals.at(-1) as OpsInterval;
    const seconds = Math.max(window.seconds, 0.001);
    return {
      at: at + width,
      requestsPerSecond: window.requests / seconds,
      errorsPerSecond: window.errors / seconds,
      p50Ms: window.p50Ms,
      p95Ms: window.p95Ms,
      p99Ms: window.p99Ms,
      cpuPercent: (intervals.reduce((sum, i) => sum + i.cpuSeconds, 0) / seconds) * 100,
      rssMegabytes: last.rssBytes / 1048576,
      openShards: last.openShards,
      poolQueued: last.poolQueued,
    };
  });
}

/** What the dashboard's figures and charts show, from the history. */
export function summarize(data: OpsData): OpsSummary {
  const kept = merge(data.intervals);
  const allowed = (1 - SLO) * kept.requests;
  return {
    slo: SLO,
    uptimeSeconds: Math.max(0, Math.round((data.now - data.startedAt) / 1000)),
    last5m: merge(data.intervals.filter((i) => i.at > data.now - 5 * 60_000)),
    kept,
    budgetLeftPercent: kept.requests === 0 ? 100 : (1 - kept.errors / allowed) * 100,
    points: points(data),
  };
}
