import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import type { MergeInput } from "./merge-input.ts";
import { MERGE_KINDS } from "./merge-kinds.ts";

export interface MergeTaskParams {
  kind: keyof typeof MERGE_KINDS;
  input: MergeInput;
  actor: Actor;
}

/**
 * merge.run: folds a duplicate into the survivor (merge-kinds.ts), all or nothing. A big
 * record's notes, tasks and timeline move with it (thousands of rows for a busy company), so
 * it runs in a worker while the request waits; only the survivor's id crosses back.
 */
const mergeTask: TaskHandler<MergeTaskParams, { id: number }> = ({ params }, context) => {
  const merge = MERGE_KINDS[params.kind];
  if (!merge) throw new Error(`unknown merge kind ${params.kind}`);
  return { id: merge.merge(context.shard("write"), params.actor, params.input).id };
};

export default mergeTask;
