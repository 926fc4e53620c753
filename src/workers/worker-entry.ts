import { getPriority, setPriority } from "node:os";
import { isMainThread, workerData } from "node:worker_threads";
import { pack } from "msgpackr";
import { AppError, BadRequestError, RetryLaterError, ValidationError } from "../core/errors.ts";
import type { TaskHandler, TaskReply, TaskRequest } from "./task-types.ts";
import { TASKS } from "./tasks.ts";
import { workerShard } from "./worker-shards.ts";

/**
 * Runs `request.task` from `tasks` with the tenant's file opened in this thread, and packs
 * what it returns. An error the server answers (a 422 naming a rule, a 404, a cancel) comes
 * back as data; anything else is thrown and fails this task alone.
 */
export async function dispatch(
  tasks: Record<string, TaskHandler<never, unknown>>,
  request: TaskRequest,
): Promise<TaskReply> {
  const handler = (tasks as Record<string, TaskHandler<unknown> | undefined>)[request.task];
  if (!handler) throw new Error(`unknown task ${request.task}`);
  try {
    const result = await handler(request.input, {
      shard: (mode) => workerShard(request.dataDir, request.input, mode),
    });
    // A copy the size of the message: msgpackr's buffer is a slice of a larger one it reuses.
    return { ok: true, packed: new Uint8Array(pack(result)) };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      ok: false,
      status: error.status,
      title: error.title,
      message: error.message,
      issues: error instanceof ValidationError ? error.issues : undefined,
      // A 400 names the one field it refused (problem+json's `errors`), as on the server's thread.
      field: error instanceof BadRequestError ? error.field : undefined,
      retryAfterSeconds: error instanceof RetryLaterError ? error.retryAfterSeconds : undefined,
    };
  }
}

/** What the pool gives each of its threads. */
export interface PoolThreadData {
  /** How much to lower this thread's CPU priority (a nice increment, 0 for none). */
  nice: number;
}

/**
 * Lowers this thread's CPU priority by `by`. On Linux each thread has its own nice value, so
 * the server's thread keeps its own and wins the CPU whenever both want it; elsewhere this may
 * lower the whole process, so it is left alone there.
 */
function lowerThisThread(by: number): void {
  if (by <= 0 || process.platform !== "linux") return;
  setPriority(Math.min(19, getPriority() + by));
}

if (!isMainThread) lowerThisThread((workerData as Partial<PoolThreadData> | undefined)?.nice ?? 0);

/** The one file a pool thread runs (piscina loads it by URL): every task in TASKS. */
export default function runTask(request: TaskRequest): Promise<TaskReply> {
  return dispatch(TASKS, request);
}
