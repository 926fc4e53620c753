import { getPriority } from "node:os";
import { threadId } from "node:worker_threads";
import { TaskProgress } from "../../src/background/task-progress.ts";
import { ValidationError } from "../../src/core/errors.ts";
import type { TaskHandler, TaskRequest } from "../../src/workers/task-types.ts";
import runProductTask, { dispatch } from "../../src/workers/worker-entry.ts";

type Params = { ms?: number; value?: unknown; steps?: number; backgroundTaskId?: number };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Tasks for the pool's own tests, run by the real dispatcher (src/workers/worker-entry.ts) in
 * real pool threads: some misbehave on purpose (throw, crash the thread, never return, burn
 * CPU), one reports progress into a real workspace file as a background task. Any other name
 * is the product's own task (a report, a segment count), so the real routes work beside them.
 */
const FIXTURE_TASKS: Record<string, TaskHandler<Params, unknown>> = {
  echo: ({ params }) => ({ value: params.value, threadId }),
  /** This thread's CPU priority (its nice value). */
  priority: () => ({ nice: getPriority() }),
  sleep: async ({ params }) => {
    await sleep(params.ms ?? 0);
    return { threadId };
  },
  spin: ({ params }) => {
    const until = performance.now() + (params.ms ?? 0);
    let n = 0;
    while (performance.now() < until) n++;
    return { n, threadId };
  },
  refuse: () => {
    throw new ValidationError([{ field: "rules.0.field", message: "is not a field of contacts" }]);
  },
  throw: () => {
    throw new Error("the task failed");
  },
  crash: () => process.exit(7),
  hang: () => {
    while (true) {}
  },
  /** Counts `steps` steps of `ms` each, reporting progress and stopping at Cancel. */
  count: async ({ params }, context) => {
    const progress = new TaskProgress(context.shard("write"), params.backgroundTaskId as number);
    const steps = params.steps ?? 1;
    progress.start(steps, "Counting");
    for (let i = 1; i <= steps; i++) {
      await sleep(params.ms ?? 0);
      progress.step(i, { force: true });
      progress.stopIfCancelled();
    }
    return { summary: [`Counted to ${steps}.`], links: [{ href: `/t/${"x"}/contacts`, label: "Contacts" }] };
  },
};

export default function fixtureTask(request: TaskRequest) {
  if (!Object.hasOwn(FIXTURE_TASKS, request.task)) return runProductTask(request);
  return dispatch(FIXTURE_TASKS as Record<string, TaskHandler<never, unknown>>, request);
}
