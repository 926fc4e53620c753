import { AppError, NotFoundError } from "../core/errors.ts";
import type { IdempotentOutcome, WorkerKey } from "../idempotency/idempotent-write.ts";
import type { Actor } from "../identity/viewer.ts";
import type { BulkAction, BulkTarget } from "./bulk-input.ts";
import type { BulkKindName } from "./bulk-kinds.ts";

/**
 * Up to this many ticked records, a bulk change from a page runs while the request waits (in a
 * worker); more, or everything a filter matches, run as a background task with a progress
 * page. The API always waits.
 */
export const BULK_IN_REQUEST = 250;

/** What the bulk tasks take: plain data, the kind by its path. */
export interface BulkTaskParams {
  kind: BulkKindName;
  target: BulkTarget;
}

export interface BulkRunParams extends BulkTaskParams {
  action: BulkAction;
  actor: Actor;
  /** Set when it runs in the background: its progress row. */
  backgroundTaskId?: number;
  /** The list to go back to, with its filters (a path of this workspace); the outcome's link adds `changed`. */
  back?: string;
  /** An API request's Idempotency-Key: the answer is stored with it in the change's transaction. */
  idempotency?: WorkerKey;
}

/** What bulk.run answers an API request that sent an Idempotency-Key: the stored answer (maybe an earlier one). */
export interface KeyedBulkOutcome {
  answer: IdempotentOutcome;
}

/**
 * A refusal from a worker as the error the form and API expect: the pool hands a 404 back as
 * a plain AppError, and a form treats a record not in this workspace as a NotFoundError.
 */
export function asDomainError(error: unknown, what: string): unknown {
  if (error instanceof AppError && error.status === 404 && !(error instanceof NotFoundError))
    return new NotFoundError(what);
  return error;
}
