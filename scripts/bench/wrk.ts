/** Runs wrk (Debian package `wrk`) and parses its --latency report. */
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface WrkOptions {
  url: string;
  connections: number;
  seconds: number;
  threads?: number;
  headers?: Record<string, string>;
  /** Paths to cycle through (each connection takes the next), instead of requesting `url`'s path only. */
  paths?: string[];
}

/** A wrk Lua script that cycles through `paths` (written once per run into a temp file). */
async function pathsScript(paths: string[]): Promise<string> {
  const file = join(tmpdir(), `crm-wrk-${process.pid}-${Date.now()}.lua`);
  const list = paths.map((p) => JSON.stringify(p)).join(",\n");
  await Bun.write(
    file,
    `local paths = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n`,
  );
  return file;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!match) throw new Error(`cannot read wrk latency "${value}"`);
  const n = Number(match[1]);
  return match[2] === "us" ? n / 1000 : match[2] === "ms" ? n : match[2] === "s" ? n * 1000 : n * 60_000;
}

export function parseWrk(output: string): WrkResult {
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s*${p}%\\s+(\\S+)`, "m").exec(output);
    if (!match?.[1]) throw new Error(`no ${p}% line in wrk output:\n${output}`);
    return toMs(match[1]);
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!rps?.[1]) throw new Error(`no Requests/sec in wrk output:\n${output}`);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: percentile("50"),
    p90Ms: percentile("90"),
    p99Ms: percentile("99"),
    errors: socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

export async function wrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    "wrk",
    `-t${options.threads ?? 2}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    ...(options.paths ? ["-s", await pathsScript(options.paths)] : []),
    options.url,
  ];
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [output, errors, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`wrk failed (${code}): ${errors}`);
  return parseWrk(output);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Summary {
  rps: number;
  p50: number;
  p99: number;
}

/**
 * Measures every target in turn, `rounds` times (after a 1 s warm-up each), so the references
 * and the targets share the machine's moods; returns each target's medians. Any socket error
 * or non-2xx answer stops the run: a benchmark of errors measures nothing.
 */
/** What measureRounds measures: a wrk target, with headers made afresh before each run if it needs them. */
export type RoundTarget = Omit<WrkOptions, "connections" | "seconds"> & {
  /** Headers computed just before each run (a revalidation's current ETag), added to `headers`. */
  prepare?: () => Promise<Record<string, string>>;
};

export async function measureRounds(
  targets: Record<string, RoundTarget>,
  options: { connections: number; seconds: number; rounds: number },
): Promise<Record<string, Summary>> {
  const results: Record<string, WrkResult[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  const prepared = async (target: RoundTarget) => ({
    ...target,
    headers: { ...target.headers, ...(await target.prepare?.()) },
  });
  for (const target of Object.values(targets))
    await wrk({ ...(await prepared(target)), connections: options.connections, seconds: 1 });
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, target] of Object.entries(targets)) {
      const result = await wrk({
        ...(await prepared(target)),
        connections: options.connections,
        seconds: options.seconds,
      });
      if (result.errors || result.non2xx)
        throw new Error(`${name}: ${result.errors} socket errors, ${result.non2xx} non-2xx`);
      results[name]?.push(result);
      console.error(
        `round ${round + 1} ${name}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(2)} ms`,
      );
    }
  }
  return Object.fromEntries(
    Object.entries(results).map(([name, runs]) => [
      name,
      {
        rps: Math.round(median(runs.map((r) => r.requestsPerSecond))),
        p50: median(runs.map((r) => r.p50Ms)),
        p99: median(runs.map((r) => r.p99Ms)),
      },
    ]),
  );
}
