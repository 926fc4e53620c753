import type { IdempotentOutcome, WorkerKey } from "../idempotency/idempotent-write.ts";
import { idempotentWrite } from "../idempotency/idempotent-write.ts";
import type { Actor } from "../identity/viewer.ts";
import type { KindRecord } from "../records/record-kind.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import type { MergeInput } from "./merge-input.ts";
import { MERGE_KINDS, type MergeKind } from "./merge-kinds.ts";

export interface MergeTaskParams {
  kind: keyof typeof MERGE_KINDS;
  input: MergeInput;
  actor: Actor;
  /** An API request's Idempotency-Key: the survivor's JSON is stored with it in the merge's transaction. */
  idempotency?: WorkerKey;
}

/** What merge.run answers: the survivor's id, and with a key, the API's answer as stored (maybe an earlier one). */
export interface MergeOutcome {
  id: number;
  answer?: IdempotentOutcome;
}

/**
 * merge.run: folds a duplicate into the survivor (merge-kinds.ts), all or nothing. A big
 * record's notes, tasks and timeline move with it (thousands of rows for a busy company), so
 * it runs in a worker while the request waits; only the survivor's id crosses back (and, for
 * a request with an Idempotency-Key, its answer, rendered in the merge's transaction).
 */
const mergeTask: TaskHandler<MergeTaskParams, MergeOutcome> = ({ params }, context) => {
  // One kind's merge and JSON together (the union of the kinds would not type-check their pairing).
  const merge = MERGE_KINDS[params.kind] as MergeKind<KindRecord>;
  if (!merge) throw new Error(`unknown merge kind ${params.kind}`);
  const shard = context.shard("write");
  const key = params.idempotency;
  if (!key) return { id: merge.merge(shard, params.actor, params.input).id };
  const answer = idempotentWrite(shard, key.request, key.now, () => ({
    status: 200,
    body: JSON.stringify(merge.json(shard, merge.merge(shard, params.actor, params.input))),
  }));
  return { id: params.input.survivorId, answer };
};

export default mergeTask;
