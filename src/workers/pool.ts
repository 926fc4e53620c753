import { unpack } from "msgpackr";
import Piscina from "piscina";
import { AppError, RetryLaterError, ValidationError } from "../core/errors.ts";
import type { TaskInput, TaskReply, TaskRequest } from "./task-types.ts";
import type { TaskName } from "./tasks.ts";

/** The file every pool thread runs. */
export const WORKER_ENTRY = new URL("./worker-entry.ts", import.meta.url).href;

export interface WorkerPoolOptions {
  dataDir: string;
  /** Threads at most (CRM_WORKERS). */
  threads: number;
  /** Tasks that may wait for a thread; beyond that a run is refused with 503 (CRM_WORKER_QUEUE). */
  maxQueue: number;
  /** A task's time limit unless its run says otherwise (CRM_TASK_TIMEOUT_SECONDS). */
  timeoutMs: number;
  /** Another entry file (tests run the real pool over tasks that crash or hang on purpose). */
  entry?: string;
}

export interface RunOptions {
  /** Aborts the task: the request closed, the user moved on, or an admin cancelled it. */
  signal?: AbortSignal;
  timeoutMs?: number;
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

/**
 * One pool of worker threads per process (piscina) for the work no request may do on the
 * server's thread. Each run has a time limit and an abort signal; a thread that throws, crashes
 * or hangs fails only its own task and is replaced. The queue is bounded by a count of our own
 * (piscina's queueSize leaves out tasks that carry a signal), so a flood is answered with 503
 * and Retry-After rather than an ever longer wait. Results come back packed by msgpackr.
 */
export class WorkerPool {
  private readonly piscina: Piscina;
  private inFlight = 0;
  /** Runs refused because the queue was full, stopped by their time limit, or cancelled. */
  readonly counts = { completed: 0, refused: 0, timedOut: 0, cancelled: 0, failed: 0 };

  constructor(private readonly options: WorkerPoolOptions) {
    this.piscina = new Piscina({
      filename: options.entry ?? WORKER_ENTRY,
      minThreads: 0,
      maxThreads: options.threads,
      maxQueue: options.maxQueue,
      // A thread idle this long exits; the next task starts one again (~30 ms).
      idleTimeout: 30_000,
    });
  }

  /** Runs `task` for one tenant and returns what it returned. */
  async run<T>(task: TaskName | (string & {}), input: TaskInput, options: RunOptions = {}): Promise<T> {
    if (this.inFlight >= this.options.threads + this.options.maxQueue) {
      this.counts.refused++;
      throw new RetryLaterError(503, "the server is busy with other heavy work; try again in a moment", 2);
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const request: TaskRequest = { task, dataDir: this.options.dataDir, input };
    this.inFlight++;
    try {
      const reply = (await this.piscina.run(request, { signal })) as TaskReply;
      if (!reply.ok) {
        if (reply.issues) throw new ValidationError(reply.issues);
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
    }
  }

  /** What /readyz and the metrics show. */
  stats() {
    return {
      threads: this.piscina.threads.length,
      running: Math.min(this.inFlight, this.options.threads),
      queued: Math.max(0, this.inFlight - this.options.threads),
      ...this.counts,
    };
  }

  /** Stops every thread (at shutdown, after requests finished). */
  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
