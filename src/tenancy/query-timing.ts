import type { Statement } from "bun:sqlite";
import { AsyncLocalStorage } from "node:async_hooks";

/** What one request's statements cost on the server's thread (Server-Timing's `db`). */
export interface QueryTiming {
  queries: number;
  ms: number;
}

const current = new AsyncLocalStorage<QueryTiming>();

/** Runs `fn` (a request) with every statement of a shard timed into `timing`, in what it awaits too. */
export function timingQueries<T>(timing: QueryTiming, fn: () => T): T {
  return current.run(timing, fn);
}

/** The methods that run a statement (`iterate` too: its first step runs it). */
const RUNS = ["all", "get", "values", "run", "iterate"] as const;
const TIMED = Symbol("timed");

/**
 * `statement`, with its run methods counting and timing each call into the current request's
 * QueryTiming (outside a request they only pass through: ~0.1 µs). Done once per statement:
 * bun:sqlite caches a statement per SQL text and connection, so later calls find it timed.
 * Worker threads are not counted: they run on their own threads, not the server's.
 */
export function timed<S extends Statement>(statement: S): S {
  const target = statement as unknown as { [TIMED]?: true } & Record<string, (...args: unknown[]) => unknown>;
  if (target[TIMED]) return statement;
  target[TIMED] = true;
  for (const name of RUNS) {
    const run = target[name] as (...args: unknown[]) => unknown;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const timing = current.getStore();
      if (!timing) return run.apply(this, args);
      const started = performance.now();
      try {
        return run.apply(this, args);
      } finally {
        timing.queries++;
        timing.ms += performance.now() - started;
      }
    };
  }
  return statement;
}
