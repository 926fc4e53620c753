import { threadId } from "node:worker_threads";
import { pack } from "msgpackr";
import { ValidationError } from "../../src/core/errors.ts";
import type { TaskReply, TaskRequest } from "../../src/workers/task-types.ts";

/**
 * A pool entry for the pool's own tests: tasks that misbehave on purpose (throw, crash the
 * thread, never return, burn CPU), run by the real WorkerPool over real threads. It answers
 * as src/workers/worker-entry.ts does.
 */
export default async function fixtureTask(request: TaskRequest): Promise<TaskReply> {
  const params = request.input.params as { ms?: number; value?: unknown };
  switch (request.task) {
    case "echo":
      return { ok: true, packed: new Uint8Array(pack({ value: params.value, threadId })) };
    case "sleep":
      await new Promise((resolve) => setTimeout(resolve, params.ms ?? 0));
      return { ok: true, packed: new Uint8Array(pack({ threadId })) };
    case "spin": {
      const until = performance.now() + (params.ms ?? 0);
      let n = 0;
      while (performance.now() < until) n++;
      return { ok: true, packed: new Uint8Array(pack({ n, threadId })) };
    }
    case "refuse":
      try {
        throw new ValidationError([{ field: "rules.0.field", message: "is not a field of contacts" }]);
      } catch (error) {
        const issues = (error as ValidationError).issues;
        return { ok: false, status: 422, title: "Unprocessable Content", message: "bad rule", issues };
      }
    case "throw":
      throw new Error("the task failed");
    case "crash":
      process.exit(7);
      break;
    case "hang":
      while (true) {}
  }
  throw new Error(`unknown fixture task ${request.task}`);
}
