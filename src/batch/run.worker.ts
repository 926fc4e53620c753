import { bulkKind } from "../bulk/bulk-kinds.ts";
import type { FieldIssue } from "../core/errors.ts";
import { type IdempotentOutcome, idempotentWrite, type WorkerKey } from "../idempotency/idempotent-write.ts";
import { purgeExpiredIdempotencyKeys } from "../idempotency/purge-idempotency-keys.ts";
import type { Actor } from "../identity/viewer.ts";
import type { ExternalIdTable } from "../records/external-id.ts";
import { recordsJson } from "../records/record-json.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { type BatchItemResult, BatchRefusedError, type BatchRequest, writeBatch } from "./batch-write.ts";

export interface BatchTaskParams {
  kind: ExternalIdTable;
  request: BatchRequest;
  actor: Actor;
  now: number;
  /** The request's Idempotency-Key: the answer is stored with it in the batch's transaction. */
  idempotency?: WorkerKey;
}

/** The batch's answer (as stored with its key, maybe an earlier one), or why it was refused (nothing written). */
export type BatchTaskOutcome =
  | { answer: IdempotentOutcome }
  | { refused: BatchItemResult[]; issues: FieldIssue[] };

/**
 * batch.run: a batch of creates, updates or upserts (batch-write.ts), all in one transaction,
 * rendered to its JSON answer inside it (so the answer stored with an Idempotency-Key is the one
 * sent). Up to 100 records' services and log entries cost ~5–15 ms of CPU: here, not on the
 * server's thread, whose other tenants it would hold up. A refused batch comes back as a value
 * (its per-item results would not survive being thrown across the thread).
 */
const runBatch: TaskHandler<BatchTaskParams, BatchTaskOutcome> = ({ params }, context) => {
  const kind = bulkKind(params.kind);
  if (!kind) throw new Error(`unknown batch kind ${params.kind}`);
  const shard = context.shard("write");
  const key = params.idempotency;
  try {
    const answer = idempotentWrite(shard, key?.request, key?.now ?? params.now, () => {
      const { results, records } = writeBatch(shard, params.actor, kind, params.request, params.now);
      return { status: 200, body: JSON.stringify({ results, data: recordsJson(shard, kind, records) }) };
    });
    if (key && !answer.replayed) purgeExpiredIdempotencyKeys(shard, key.now);
    return { answer };
  } catch (error) {
    if (!(error instanceof BatchRefusedError)) throw error;
    return { refused: error.results, issues: error.issues };
  }
};

export default runBatch;
