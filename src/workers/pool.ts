import { unpack } from "msgpackr";
import Piscina from "piscina";
import { threadFile } from "../core/app-files.ts";
import {
  AppError,
  BadRequestError,
  PoolBusyError,
  RetryLaterError,
  ValidationError,
} from "../core/errors.ts";
import type { TaskInput, TaskReply, TaskRequest } from "./task-types.ts";
import type { TaskName } from "./tasks.ts";
import type { PoolThreadData } from "./worker-entry.ts";

/** The file every pool thread runs. */
export const WORKER_ENTRY = threadFile("src/workers/worker-entry.ts");

export interface WorkerPoolOptions {
  dataDir: string;
  /** Threads at most (CRM_WORKERS). */
  threads: number;
  /** Tasks that may wait for a thread; beyond that a run is refused with 503 (CRM_WORKER_QUEUE). */
  maxQueue: number;
  /**
   * Tasks one workspace may have running or waiting at once; its next is refused with 503 while
   * other workspaces keep their share (CRM_WORKER_PER_WORKSPACE). Unset: only the pool's bound.
   */
  perWorkspace?: number;
  /** A task's time limit unless its run says otherwise (CRM_TASK_TIMEOUT_SECONDS). */
  timeoutMs: number;
  /**
   * How much lower the threads' CPU priority is than the server's thread (CRM_WORKER_NICE): with
   * no core to spare, pages come first and the heavy work takes what is left.
   */
  nice?: number;
  /** Another entry file (tests run the real pool over tasks that crash or hang on purpose). */
  entry?: string;
}

export interface RunOptions {
  /** Aborts the task: the request closed, the user moved on, or an admin cancelled it. */
  signal?: AbortSignal;
  /**
   * A write (a batch, a bulk change, a merge): `signal` only takes it out of the line; once it
   * runs it runs to its end (or its time limit). Stopping it would end its thread mid-write,
   * and a new thread costs every workspace's heavy work ~0.5 s, which a client aborting in a
   * loop could repeat at will; its answer is stored under its Idempotency-Key, so the
   * client's retry gets it.
   */
  runToEnd?: boolean;
  timeoutMs?: number;
  /**
   * Upkeep of the workspace's file that no request asked for (a checkpoint of its write-ahead
   * log): it takes none of the workspace's share (CRM_WORKER_PER_WORKSPACE), so a lone uploader
   * is never refused because of it. Still bounded: at most one such run per workspace in flight
   * (a second is refused with 503), each counted against the pool's own bound.
   */
  upkeep?: boolean;
}

/** The task ran past its time limit and was stopped; its thread was replaced. */
export class TaskTimeoutError extends AppError {
  constructor(seconds: number) {
    super(
      504,
      "Gateway Timeout",
      `this took too long (more than ${seconds} s) and was stopped; try a narrower request`,
    );
  }
}

/** The task was cancelled (the request closed before it finished). */
export class TaskCancelledError extends AppError {
  constructor() {
    super(499, "Client Closed Request", "the request was cancelled");
  }
}

/** A run waiting for a thread, in its workspace's line. */
interface Waiting {
  request: TaskRequest;
  signal: AbortSignal;
  /** What stops it once it runs: `signal`, or only its time limit for a write (runToEnd). */
  running: AbortSignal;
  resolve: (reply: TaskReply) => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
}

/**
 * One pool of worker threads per process (piscina) for the work no request may do on the
 * server's thread. Each run has a time limit and an abort signal; a thread that throws, crashes
 * or hangs fails only its own task and is replaced. The queue is bounded by a count of our own
 * (piscina's queueSize leaves out tasks that carry a signal), so a flood is answered with 503
 * and Retry-After rather than an ever longer wait. Results come back packed by msgpackr.
 *
 * Fair between workspaces: each may have at most `perWorkspace` runs in flight (running or
 * waiting, background tasks included; upkeep such as a checkpoint apart, one at most), so one
 * workspace's burst is refused to it alone; and
 * runs wait here, a line per workspace, piscina being handed no more than it has threads, the
 * next thread going to the workspace served least recently (round robin), not to the oldest run.
 */
export class WorkerPool {
  private readonly piscina: Piscina;
  private inFlight = 0;
  /** Runs handed to piscina (at most `threads`). */
  private running = 0;
  /** The lines of waiting runs, by workspace. */
  private readonly waiting = new Map<string, Waiting[]>();
  /** When each workspace with runs in flight last had one started (a sequence number): the least recent goes next. */
  private readonly served = new Map<string, number>();
  private starts = 0;
  private waitingCount = 0;
  /** Runs in flight (running or waiting) by workspace, upkeep left out. */
  private readonly perTenant = new Map<string, number>();
  /** The workspaces with an upkeep run in flight (at most one each). */
  private readonly upkeep = new Set<string>();
  private readonly perWorkspace: number;
  /**
   * Runs completed; refused because the pool was full, or (also counted in `refused`) because
   * their workspace had its share in flight; stopped by their time limit; cancelled; failed.
   */
  readonly counts = {
    completed: 0,
    refused: 0,
    refusedWorkspace: 0,
    timedOut: 0,
    cancelled: 0,
    failed: 0,
  };

  constructor(private readonly options: WorkerPoolOptions) {
    this.perWorkspace = options.perWorkspace ?? options.threads + options.maxQueue;
    this.piscina = new Piscina({
      filename: options.entry ?? WORKER_ENTRY,
      minThreads: 0,
      maxThreads: options.threads,
      maxQueue: options.maxQueue,
      // A thread idle this long exits; the next task starts one again (~30 ms).
      idleTimeout: 30_000,
      workerData: { nice: options.nice ?? 0 } satisfies PoolThreadData,
    });
  }

  /** Runs `task` for one tenant and returns what it returned. */
  async run<T>(task: TaskName | (string & {}), input: TaskInput, options: RunOptions = {}): Promise<T> {
    const tenantId = input.tenantId;
    const upkeep = options.upkeep === true;
    if (upkeep) this.checkUpkeepRoom(tenantId);
    else this.checkRoom(tenantId);
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const request: TaskRequest = { task, dataDir: this.options.dataDir, input };
    this.inFlight++;
    if (upkeep) this.upkeep.add(tenantId);
    else this.perTenant.set(tenantId, (this.perTenant.get(tenantId) ?? 0) + 1);
    try {
      const reply = await this.schedule(tenantId, request, signal, options.runToEnd ? timeout : signal);
      if (!reply.ok) {
        if (reply.issues) throw new ValidationError(reply.issues);
        if (reply.field !== undefined) throw new BadRequestError(reply.message, reply.field);
        if (reply.retryAfterSeconds !== undefined && (reply.status === 429 || reply.status === 503))
          throw Object.assign(new RetryLaterError(reply.status, reply.message, reply.retryAfterSeconds), {
            title: reply.title,
          });
        throw new AppError(reply.status, reply.title, reply.message);
      }
      this.counts.completed++;
      return unpack(reply.packed) as T;
    } catch (error) {
      if (timeout.aborted) {
        this.counts.timedOut++;
        throw new TaskTimeoutError(Math.round(timeoutMs / 1000));
      }
      if (options.signal?.aborted) {
        this.counts.cancelled++;
        throw new TaskCancelledError();
      }
      if (!(error instanceof AppError)) this.counts.failed++;
      throw error;
    } finally {
      this.inFlight--;
      if (upkeep) {
        this.upkeep.delete(tenantId);
        if (!this.perTenant.has(tenantId)) this.served.delete(tenantId);
      } else {
        const left = (this.perTenant.get(tenantId) ?? 1) - 1;
        if (left === 0) {
          this.perTenant.delete(tenantId);
          if (!this.upkeep.has(tenantId)) this.served.delete(tenantId);
        } else this.perTenant.set(tenantId, left);
      }
    }
  }

  /**
   * Throws the 503 a run for this workspace would get now (the pool full, or the workspace's
   * share in flight). A background task asks before it records itself, so a refusal is an
   * answer to the form rather than a task that failed; the run follows in the same tick.
   */
  checkRoom(tenantId: string): void {
    if (this.inFlight >= this.options.threads + this.options.maxQueue) {
      this.counts.refused++;
      throw new PoolBusyError(503, "the server is busy with other heavy work; try again in a moment", 2);
    }
    if ((this.perTenant.get(tenantId) ?? 0) >= this.perWorkspace) {
      this.counts.refused++;
      this.counts.refusedWorkspace++;
      throw new PoolBusyError(
        503,
        `this workspace already has ${this.perWorkspace} heavy tasks running or waiting; try again when one has finished`,
        2,
      );
    }
  }

  /** Throws the 503 an upkeep run for this workspace would get now: the pool full, or one already in flight. */
  private checkUpkeepRoom(tenantId: string): void {
    if (this.inFlight >= this.options.threads + this.options.maxQueue || this.upkeep.has(tenantId)) {
      this.counts.refused++;
      throw new PoolBusyError(503, "the server is busy with other heavy work; try again in a moment", 2);
    }
  }

  /**
   * Hands the run to piscina at once if a thread is free and no one waits, else into its
   * workspace's line. `signal` takes it out of the line; `running` is what stops it once it runs.
   */
  private schedule(
    tenantId: string,
    request: TaskRequest,
    signal: AbortSignal,
    running: AbortSignal,
  ): Promise<TaskReply> {
    if (this.running < this.options.threads && this.waitingCount === 0)
      return this.start(tenantId, request, running);
    return new Promise<TaskReply>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      let line = this.waiting.get(tenantId);
      if (!line) {
        line = [];
        this.waiting.set(tenantId, line);
      }
      const job: Waiting = {
        request,
        signal,
        running,
        resolve,
        reject,
        // Cancelled or past its time while waiting: it leaves the line and never runs.
        onAbort: () => {
          const jobs = this.waiting.get(tenantId);
          const at = jobs?.indexOf(job) ?? -1;
          if (!jobs || at < 0) return;
          jobs.splice(at, 1);
          this.waitingCount--;
          if (jobs.length === 0) this.waiting.delete(tenantId);
          reject(signal.reason);
        },
      };
      line.push(job);
      this.waitingCount++;
      signal.addEventListener("abort", job.onAbort, { once: true });
    });
  }

  private start(tenantId: string, request: TaskRequest, signal: AbortSignal): Promise<TaskReply> {
    this.running++;
    this.served.set(tenantId, ++this.starts);
    const settled = () => {
      this.running--;
      this.next();
    };
    const reply = this.piscina.run(request, { signal }) as Promise<TaskReply>;
    reply.then(settled, settled);
    return reply;
  }

  /** Gives free threads to waiting runs: each to the waiting workspace served least recently. */
  private next(): void {
    while (this.running < this.options.threads && this.waitingCount > 0) {
      // A scan of the workspaces waiting: at most the queue's length, a few dozen.
      let tenantId = "";
      let line: Waiting[] = [];
      let oldest = Number.POSITIVE_INFINITY;
      for (const [id, jobs] of this.waiting) {
        const at = this.served.get(id) ?? 0;
        if (at < oldest) [tenantId, line, oldest] = [id, jobs, at];
      }
      const job = line.shift() as Waiting;
      this.waitingCount--;
      if (line.length === 0) this.waiting.delete(tenantId);
      job.signal.removeEventListener("abort", job.onAbort);
      this.start(tenantId, job.request, job.running).then(job.resolve, job.reject);
    }
  }

  /** What /readyz and the metrics show. */
  stats() {
    return {
      threads: this.piscina.threads.length,
      running: this.running,
      queued: this.waitingCount,
      /** Workspaces with a run in flight. */
      workspaces: this.perTenant.size,
      ...this.counts,
    };
  }

  /** Stops every thread (at shutdown, after requests finished). */
  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
