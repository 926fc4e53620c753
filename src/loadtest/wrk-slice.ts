import { LoadtestError } from "./loadtest-error.ts";

/** What one wrk run of a scenario reported (the scripts' done() line, scripts/loadtest/lib/crm.lua). */
export interface SliceReport {
  duration_us: number;
  requests: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency: { min: number; max: number; mean: number };
  /** [latency µs, count] for every distinct latency. */
  histogram: [number, number][] | Record<string, never>;
  actions: Record<
    string,
    {
      count: number;
      errors: number;
      /** Answers with a 2xx or 3xx status other than the action expects (a redirect to the login page…). */
      unexpected?: number;
      /** Records the action really created (a 303 to the new record). */
      created?: number;
      statuses: Record<string, number>;
      buckets: Record<string, number>;
      max_us: number;
      sum_us: number;
    }
  >;
  /** The age (µs) of each request still unanswered when wrk stopped (wrk drops them uncounted). */
  unanswered_us?: number[] | Record<string, never>;
  /** Set when wrk could not connect at all (then the run stops: see runSlice). */
  unreachable?: boolean;
  /** Measured here: the slice's wall time, from wrk's start to the end of the /metrics read after it. */
  wall_us?: number;
}

/**
 * A request's time limit in a slice of `seconds`: half the slice (wrk's own 2 s at most), so that
 * a request stalled in a slice is seen before the slice ends. wrk checks its --timeout only every
 * 2 s, so a request still unanswered at the slice's end and older than this counts as a timeout too.
 */
export function requestTimeoutMs(seconds: number): number {
  return Math.min(2000, (seconds * 1000) / 2);
}

/** Requests unanswered at a slice's end that were older than the slice's request time limit. */
export function unansweredTimeouts(slice: SliceReport, timeoutMs: number): number {
  const ages = Array.isArray(slice.unanswered_us) ? slice.unanswered_us : [];
  return ages.filter((us) => us >= timeoutMs * 1000).length;
}

/** A slice wrk could not start, the server refusing connections: nothing but connect errors. */
function unreachable(connections: number): SliceReport {
  return {
    duration_us: 0,
    requests: 0,
    bytes: 0,
    errors: { connect: connections, read: 0, write: 0, status: 0, timeout: 0 },
    latency: { min: 0, max: 0, mean: 0 },
    histogram: [],
    actions: {},
    unreachable: true,
  };
}

/** Where wrk is, or a LoadtestError saying how to get it. */
export function findWrk(): string {
  const wrk = Bun.which("wrk");
  if (!wrk)
    throw new LoadtestError("wrk is not installed: apt-get install wrk (Debian's package, with LuaJIT)");
  return wrk;
}

export interface SliceOptions {
  wrk: string;
  origin: string;
  script: string;
  dataFile: string;
  connections: number;
  seconds: number;
  /** The slice's number: a new random sequence and new record names each slice. */
  index: number;
  /** Told the wrk process as soon as it runs (so that an interrupt can stop it). */
  onStart?: (wrk: { kill(signal?: number | NodeJS.Signals): void; exited: Promise<number> }) => void;
}

/**
 * Runs wrk once: one thread per connection (so the scripts can tell which action each answer
 * belongs to, see crm.lua), the scenario script with the data file, for `seconds`.
 */
export async function runSlice(o: SliceOptions): Promise<SliceReport> {
  const proc = Bun.spawn(
    [
      o.wrk,
      `-t${o.connections}`,
      `-c${o.connections}`,
      `-d${o.seconds}s`,
      `--timeout`,
      // wrk takes whole seconds; the finer limit is applied to the unanswered (above).
      `${Math.max(1, Math.floor(requestTimeoutMs(o.seconds) / 1000))}s`,
      "-s",
      o.script,
      o.origin,
      "--",
      o.dataFile,
      String(o.index),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  o.onStart?.(proc);
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const line = out.split("\n").find((l) => l.startsWith("CRM-LOADTEST "));
  // wrk will not start when its first connection is refused: the server has gone away (it
  // answered the preparation). Every connection of the slice counts as a failed connect.
  if (code !== 0 && /unable to connect/.test(err)) return unreachable(o.connections);
  if (code !== 0 || !line)
    throw new Error(`wrk failed (exit ${code}) in slice ${o.index + 1}:\n${err.trim() || out.trim()}`);
  const report = JSON.parse(line.slice("CRM-LOADTEST ".length)) as SliceReport;
  // Stalled requests wrk left unanswered are timeouts (see requestTimeoutMs).
  report.errors.timeout += unansweredTimeouts(report, requestTimeoutMs(o.seconds));
  return report;
}
