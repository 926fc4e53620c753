import { pack } from "msgpackr";
import { AppError, ValidationError } from "../core/errors.ts";
import type { TaskHandler, TaskReply, TaskRequest } from "./task-types.ts";
import { TASKS } from "./tasks.ts";
import { workerShard } from "./worker-shards.ts";

/**
 * The one file a pool thread runs (piscina loads it by URL): it finds the task by name in
 * TASKS, runs it with the tenant's file opened here, and packs what it returns. An error the
 * server answers (a 422 naming a rule, a 404) comes back as data; anything else is thrown and
 * fails this task alone.
 */
export default async function runTask(request: TaskRequest): Promise<TaskReply> {
  const handler = (TASKS as Record<string, TaskHandler<unknown> | undefined>)[request.task];
  if (!handler) throw new Error(`unknown task ${request.task}`);
  try {
    const result = await handler(request.input, {
      shard: (mode) => workerShard(request.dataDir, request.input, mode),
    });
    const packed = pack(result);
    // A copy the size of the message: msgpackr's buffer is a slice of a larger one it reuses.
    return { ok: true, packed: new Uint8Array(packed) };
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
