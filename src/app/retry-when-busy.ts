import type { Server } from "bun";
import { currentRequestWrites, type RequestWrites, recordingWrites } from "../tenancy/shard.ts";
import { WorkerPool } from "../workers/pool.ts";

/** What Bun.serve calls for each request (the app's fetch, or this wrapper around it). */
export type ServeFetch = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

export interface RetryWhenBusyOptions {
  /** The longest a request waits, in all, for its workspace's lock before the 503 goes out (CRM_BUSY_RETRY_MS). */
  maxWaitMs: number;
  /** A body is kept for a replay only up to this many bytes, and only when its length is declared. */
  maxBodyBytes: number;
  /** Waits `ms` (tests pass their own). */
  sleep?: (ms: number) => Promise<unknown>;
  /** In [0, 1): spreads the waits, so requests refused together do not come back together. */
  random?: () => number;
}

/** The first wait; each next one doubles, up to MAX_DELAY_MS, within the request's whole budget. */
const FIRST_DELAY_MS = 5;
const MAX_DELAY_MS = 160;

/**
 * Whether a request can be sent to the app a second time: no body, or a body of declared length
 * within the limit (kept by a clone). An upload streamed past the limit, or of unknown length,
 * is never held in memory: its busy answer goes out as it is.
 */
function replayable(request: Request, maxBodyBytes: number): boolean {
  if (request.body === null) return true;
  const declared = request.headers.get("content-length");
  if (declared === null || !/^\d{1,15}$/.test(declared)) return false;
  return Number(declared) <= maxBodyBytes;
}

/** Resolves after `ms`, or at once when `signal` aborts (the client went away). */
function pause(ms: number, signal: AbortSignal, sleep: (ms: number) => Promise<unknown>): Promise<unknown> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = () => resolve(undefined);
    signal.addEventListener("abort", stop, { once: true });
    void sleep(ms).then(() => {
      signal.removeEventListener("abort", stop);
      resolve(undefined);
    });
  });
}

/**
 * The server as the app sees it on a replay: the copy of the request has no socket, so the
 * client's address (rate limits, sign-in throttling) is looked up with the original.
 */
function serverFor(server: Server<undefined>, original: Request): Server<undefined> {
  return new Proxy(server, {
    get(target, key) {
      if (key === "requestIP") return () => target.requestIP(original);
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Runs a workspace's request again, later, when its file was locked by another connection (a
 * worker's import or bulk change, another process) for longer than the short busy timeout the
 * server's thread may wait synchronously (CRM_BUSY_TIMEOUT_MS). The waits between attempts are
 * timers (5, 10, 20… ms, jittered), so every other request and workspace goes on meanwhile;
 * after `maxWaitMs` in all, or when the client goes away, the 503 with Retry-After goes out as
 * before. A request is run again only if its answer is that 503, nothing of it was committed
 * (counted per request by shard.transaction) and it can be sent again (replayable).
 */
/** Since the process started: requests run again after a busy 503, and those still busy at the end (/metrics). */
export const busyRetries = { replays: 0, gaveUp: 0 };

export function retryWhenBusy(fetch: ServeFetch, options: RetryWhenBusyOptions): ServeFetch {
  const sleep = options.sleep ?? Bun.sleep;
  const random = options.random ?? Math.random;
  return async function fetchRetryingWhenBusy(request, server) {
    const canReplay = options.maxWaitMs > 0 && replayable(request, options.maxBodyBytes);
    // A body can be read once: the copy is made before the first attempt reads it (a tee,
    // bounded by the declared length). A request without a body is copied only if needed.
    let spare = canReplay && request.body !== null ? request.clone() : undefined;
    let writes: RequestWrites = { commits: 0, busy: false };
    let response = await recordingWrites(writes, () => fetch(request, server));
    if (!canReplay || !refusedUntouched(response, writes)) return response;
    const deadline = performance.now() + options.maxWaitMs;
    const replayServer = serverFor(server, request);
    for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
      const left = deadline - performance.now();
      if (left <= 0 || request.signal.aborted) {
        busyRetries.gaveUp++;
        return response;
      }
      await pause(Math.min(left, delay * (0.5 + random())), request.signal, sleep);
      if (request.signal.aborted) {
        busyRetries.gaveUp++;
        return response;
      }
      const attempt = spare ?? request.clone();
      spare = spare?.clone();
      void response.body?.cancel();
      writes = { commits: 0, busy: false };
      busyRetries.replays++;
      response = await recordingWrites(writes, () => fetch(attempt, replayServer));
      if (!refusedUntouched(response, writes)) return response;
    }
  };
}

/** The answer is the busy 503 and the attempt committed nothing. */
function refusedUntouched(response: Response, writes: RequestWrites): boolean {
  return writes.busy && writes.commits === 0 && response.status === 503;
}

/**
 * The worker pool, where a task a request runs counts as a commit of that request: a task may
 * write the workspace on the request's behalf (a bulk change, a merge) in another thread, out
 * of shard.transaction's sight, so a busy answer after it is never run again.
 */
export class RequestCountingPool extends WorkerPool {
  override run<T>(...args: Parameters<WorkerPool["run"]>): Promise<T> {
    const writes = currentRequestWrites();
    // Upkeep (a checkpoint started as the request let go of its file) writes nothing of the
    // request's: its busy answer may still be run again.
    if (writes && args[2]?.upkeep !== true) writes.commits++;
    return super.run<T>(...args);
  }
}
