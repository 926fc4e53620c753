import { AppError, RetryLaterError } from "../core/errors.ts";
import type { TaskInput } from "../workers/task-types.ts";
import {
  type BatchGroupOutcome,
  type BatchTaskOutcome,
  type BatchTaskParams,
  failureError,
} from "./run.worker.ts";

/**
 * Batches sent to the pool together at most: their transaction holds the workspace's write lock
 * (~5–10 ms per batch), and the server's thread waits for that lock before its own writes to
 * the workspace (retrying, never blocking): a few batches, not a long hold.
 */
const MAX_GROUP = 3;
/** Batches of one workspace waiting at most; the next is a 503 (the pool's own per-workspace bound no longer sees them). */
const MAX_WAITING = 32;

/** Where a waiting batch's answer goes. */
interface Waiting {
  params: BatchTaskParams;
  signal?: AbortSignal;
  resolve: (outcome: BatchTaskOutcome) => void;
  reject: (reason: unknown) => void;
}

/** What BatchLines needs of the worker pool. */
export interface BatchRunner {
  run<T>(task: "batch.run", input: TaskInput, options?: { signal?: AbortSignal }): Promise<T>;
}

/**
 * One line of batches per workspace in this process: at most one `batch.run` task per workspace
 * at a time, and the batches that arrive while it runs go together in the next one, one
 * transaction for all of them (run.worker.ts). Measured: two workers writing one file at once
 * fight over its write lock (SQLite's busy handler sleeps 1–100 ms between tries), and each
 * batch paid its own commit's fsync; in line, a group shares one. Each batch is still all or
 * nothing and answered on its own, after the commit. A batch whose request was closed while it
 * waited is dropped before it is sent.
 */
export class BatchLines {
  private readonly lines = new Map<string, Waiting[]>();

  constructor(private readonly pool: BatchRunner) {}

  /** Runs one batch in its workspace's line; resolves with its own outcome. */
  run(
    workspace: Omit<TaskInput, "params">,
    params: BatchTaskParams,
    signal?: AbortSignal,
  ): Promise<BatchTaskOutcome> {
    const waiting = this.lines.get(workspace.tenantId);
    if (waiting && waiting.length >= MAX_WAITING)
      throw new RetryLaterError(503, "this workspace has many batches waiting; try again in a moment", 1);
    return new Promise((resolve, reject) => {
      const entry: Waiting = { params, signal, resolve, reject };
      if (waiting) waiting.push(entry);
      else {
        this.lines.set(workspace.tenantId, [entry]);
        void this.drain(workspace);
      }
    });
  }

  /** Sends the line's batches in groups, one group at a time, until none wait; then the line ends. */
  private async drain(workspace: Omit<TaskInput, "params">): Promise<void> {
    const line = this.lines.get(workspace.tenantId) as Waiting[];
    while (line.length > 0) {
      const group = line.splice(0, MAX_GROUP).filter((entry) => {
        if (!entry.signal?.aborted) return true;
        // What the pool answers a run cancelled while waiting (no one reads it: the request is gone).
        entry.reject(new AppError(499, "Client Closed Request", "the request was cancelled"));
        return false;
      });
      if (group.length === 0) continue;
      try {
        const outcomes = await this.pool.run<BatchGroupOutcome[]>("batch.run", {
          ...workspace,
          params: { batches: group.map((entry) => entry.params) },
        });
        group.forEach((entry, i) => {
          const outcome = outcomes[i] as BatchGroupOutcome;
          if ("failed" in outcome) entry.reject(failureError(outcome.failed));
          else entry.resolve(outcome);
        });
      } catch (error) {
        for (const entry of group) entry.reject(error);
      }
    }
    this.lines.delete(workspace.tenantId);
  }
}
