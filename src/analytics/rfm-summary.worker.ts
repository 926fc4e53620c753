import type { TaskHandler } from "../workers/task-types.ts";
import { rfmSummary } from "./insights.ts";

/**
 * The RFM grid and segment counts of the Insights page: a pass over every scored contact
 * (~160 ms for 100,000 of them, scripts/bench/insights.ts), so in the pool, never on the
 * server's thread (invariant 10). At most 25 cells and a dozen segments come back.
 */
const rfmSummaryTask: TaskHandler<Record<string, never>, ReturnType<typeof rfmSummary>> = (_input, context) =>
  rfmSummary(context.shard("read"));

export default rfmSummaryTask;
