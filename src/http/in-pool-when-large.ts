import type { Context } from "hono";
import type { TaskName } from "../workers/tasks.ts";
import type { AppDeps, ViewerEnv } from "./app-env.ts";

/**
 * Records a write that fans out (a stage's kind, a custom field's options or deletion, a removed
 * user: each logs and touches every record it reaches) may reach and still run on the server's
 * thread. Measured (scripts/bench/fan-out-writes.ts): 2,000 records take 17–29 ms there (a
 * user's removal the most), 30,000 0.38–0.47 s, against the ~20 ms a request may hold the event
 * loop (ARCHITECTURE invariant 10); 1,000 stay near half of it.
 */
export const FANOUT_IN_REQUEST = 1_000;

/**
 * Runs a write that reaches `reach` records (an indexed count its service took): on the server's
 * thread when small (tests and pages stay fast), else the same service function in a worker
 * (`task`, given `params`), waited for, with `runToEnd` so a closed request never stops a write
 * midway. Its refusals cross the thread as the same answers (ValidationError issues, 404, 403, 412).
 */
export async function inPoolWhenLarge<T>(
  deps: AppDeps,
  c: Context<ViewerEnv>,
  reach: number,
  task: TaskName,
  params: object,
  inline: () => T,
): Promise<T> {
  if (reach <= FANOUT_IN_REQUEST) return inline();
  const { id, slug, file } = c.var.tenant;
  return await deps.pool.run<T>(
    task,
    { tenantId: id, slug, file, params },
    { signal: c.req.raw.signal, runToEnd: true },
  );
}
