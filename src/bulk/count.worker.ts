import type { TaskHandler } from "../workers/task-types.ts";
import { bulkKind } from "./bulk-kinds.ts";
import type { BulkTaskParams } from "./bulk-task.ts";
import { bulkTargetIds } from "./run-bulk.ts";

/** bulk.count: how many records a bulk change would take (404 for an id not in this workspace, 422 past the limit). */
const countTask: TaskHandler<BulkTaskParams, { matched: number }> = ({ params }, context) => {
  const kind = bulkKind(params.kind);
  if (!kind) throw new Error(`unknown bulk kind ${params.kind}`);
  return { matched: bulkTargetIds(context.shard("read"), kind, params.target).length };
};

export default countTask;
