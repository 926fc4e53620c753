import { pack } from "msgpackr";
import { AppError, ValidationError } from "../core/errors.ts";
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
    };
  }
}

/** The one file a pool thread runs (piscina loads it by URL): every task in TASKS. */
export default function runTask(request: TaskRequest): Promise<TaskReply> {
  return dispatch(TASKS, request);
}
