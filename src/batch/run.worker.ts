import { bulkKind } from "../bulk/bulk-kinds.ts";
import { AppError, BadRequestError, type FieldIssue, ValidationError } from "../core/errors.ts";
import { parseJsonObject } from "../core/json-object.ts";
import { parseOrThrow } from "../core/validation.ts";
import { type IdempotentOutcome, idempotentWrite, type WorkerKey } from "../idempotency/idempotent-write.ts";
import type { Actor } from "../identity/viewer.ts";
import type { ExternalIdTable } from "../records/external-id.ts";
import { recordsJson } from "../records/record-json.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { type BatchItemResult, BatchRefusedError, batchRequest, writeBatch } from "./batch-write.ts";

export interface BatchTaskParams {
  kind: ExternalIdTable;
  /** The request's body as sent (JSON text): parsed and checked here, off the server's thread. */
  body: string;
  actor: Actor;
  now: number;
  /** The request's Idempotency-Key: the answer is stored with it in the batch's transaction. */
  idempotency?: WorkerKey;
}

/** The batch's answer (as stored with its key, maybe an earlier one), or why it was refused (nothing written). */
export type BatchTaskOutcome =
  | { answer: IdempotentOutcome }
  | { refused: BatchItemResult[]; issues: FieldIssue[] };

/** An error the server answers (as the pool carries one back), for one batch of a group. */
export interface BatchFailure {
  status: number;
  title: string;
  message: string;
  issues?: FieldIssue[];
  field?: string;
}

/** One batch's outcome in a group: its own, or the error it alone failed with. */
export type BatchGroupOutcome = BatchTaskOutcome | { failed: BatchFailure };

/** The error a BatchFailure stands for, rebuilt on the server's thread as the pool rebuilds a task's. */
export function failureError(failed: BatchFailure): AppError {
  if (failed.issues) return new ValidationError(failed.issues);
  if (failed.field !== undefined) return new BadRequestError(failed.message, failed.field);
  return new AppError(failed.status, failed.title, failed.message);
}

/** One batch, in a savepoint of the group's transaction, rendered to its JSON answer inside it. */
function runOne(shard: Shard, params: BatchTaskParams): BatchGroupOutcome {
  const kind = bulkKind(params.kind);
  if (!kind) throw new Error(`unknown batch kind ${params.kind}`);
  const key = params.idempotency;
  try {
    const request = parseOrThrow(batchRequest(params.kind), parseJsonObject(params.body));
    const answer = idempotentWrite(shard, key?.request, key?.now ?? params.now, () => {
      const { results, records } = writeBatch(shard, params.actor, kind, request, params.now);
      return { status: 200, body: JSON.stringify({ results, data: recordsJson(shard, kind, records) }) };
    });
    return { answer };
  } catch (error) {
    if (error instanceof BatchRefusedError) return { refused: error.results, issues: error.issues };
    if (!(error instanceof AppError)) throw error;
    const failed: BatchFailure = { status: error.status, title: error.title, message: error.message };
    if (error instanceof ValidationError) failed.issues = error.issues;
    if (error instanceof BadRequestError && error.field !== undefined) failed.field = error.field;
    return { failed };
  }
}

/**
 * batch.run: one or more batches of one workspace (batch-lines.ts groups those that arrive
 * while the previous group runs), all in ONE transaction, so they share one commit (its fsync,
 * `synchronous=FULL`, ~5 ms, is most of a small batch's cost). Each batch is still all or
 * nothing: it runs in its own savepoint (idempotentWrite's), with its answer stored under its
 * Idempotency-Key in it; a refused batch rolls back its savepoint alone and comes back as a
 * value (its per-item results would not survive being thrown across the thread). Every answer
 * is sent only after the commit. Up to 100 records' checks, writes and log entries per batch
 * cost a few ms of CPU: here, not on the server's thread, whose other tenants they would hold up.
 */
const runBatches: TaskHandler<{ batches: BatchTaskParams[] }, BatchGroupOutcome[]> = (
  { params },
  context,
) => {
  const shard = context.shard("write");
  return shard.transaction(() => params.batches.map((batch) => runOne(shard, batch)));
};

export default runBatches;
