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
      statuses: Record<string, number>;
      buckets: Record<string, number>;
      max_us: number;
      sum_us: number;
    }
  >;
  /** Set when wrk could not connect at all (then the run stops: see runSlice). */
  unreachable?: boolean;
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
      "-s",
      o.script,
      o.origin,
      "--",
      o.dataFile,
      String(o.index),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
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
  return JSON.parse(line.slice("CRM-LOADTEST ".length)) as SliceReport;
}
