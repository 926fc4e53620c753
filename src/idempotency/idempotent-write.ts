/**
 * The Idempotency-Key mechanism: a request sent again with the same key (scope = who sent it,
 * route, body hash) is applied once, and the retry gets the stored answer.
 *
 * - idempotentWrite: a request applied in ONE write transaction, which also stores its answer
 *   under the key (a stored key always means a stored change).
 * - A key row with status IN_PROGRESS_STATUS was written by the chunked event ingest of
 *   earlier versions (progress in `response`): such a key is answered 409 (in flight) until it
 *   expires; nothing writes one any more.
 *
 * keyState tells which state a key is in (new, answered, in progress); storedAnswer is the
 * one-transaction form's view (an in-progress key there is a 409).
 */
import type { Shard } from "../tenancy/shard.ts";
import {
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
} from "./idempotency-key.ts";

/**
 * The `status` of a key whose request was applied in several transactions by an earlier
 * version and is not finished (HTTP's "Processing"): its `response` holds the progress, not an
 * answer. Never sent to a client.
 */
export const IN_PROGRESS_STATUS = 102;

/** A request as its key identifies it: who sent it, the key, and what it was (route and body hash). */
export interface IdempotentRequest {
  /** `api_key:<id>` or `user:<id>` (idempotencyScope). */
  scope: string;
  key: string;
  /** `METHOD /path/pattern` (the route, not the URL: the workspace is the file). */
  route: string;
  /** requestHash of the body. */
  hash: string;
}

/** A request's key and clock as handed to a worker that applies the request and stores its answer (bulk, merge). */
export interface WorkerKey {
  request: IdempotentRequest;
  now: number;
}

/** An answer as stored and replayed: its status, JSON body and Location (a created record's address). */
export interface StoredAnswer {
  status: number;
  body: string;
  location?: string | null;
}

export interface IdempotentOutcome extends StoredAnswer {
  /** True when this is the stored answer of an earlier request: nothing was applied this time. */
  replayed: boolean;
}

interface KeyRow {
  route: string;
  hash: string;
  status: number;
  response: string;
  location: string | null;
  createdAt: number;
}

const SELECT_KEY = `SELECT route, request_hash AS hash, status, response, location, created_at AS createdAt
  FROM idempotency_keys WHERE scope = ? AND key = ?`;

/**
 * What a request's key says: `new` (never used, or used longer ago than the retention window),
 * `answered` (the stored answer when route and body are the same), or `resume` (a request
 * applied in chunks that stopped midway: how many units it applied, its state, and when it was
 * first received). The same key with another route or body is a 422 (IdempotencyKeyReusedError).
 */
export type KeyState<S> =
  | { kind: "new" }
  | { kind: "answered"; answer: StoredAnswer }
  | { kind: "resume"; done: number; state: S; startedAt: number };

export function keyState<S>(shard: Shard, request: IdempotentRequest, now: number): KeyState<S> {
  const row = shard.statement(SELECT_KEY).get(request.scope, request.key) as KeyRow | null;
  if (!row || row.createdAt < now - IDEMPOTENCY_RETENTION_MS) return { kind: "new" };
  if (row.route !== request.route || row.hash !== request.hash)
    throw new IdempotencyKeyReusedError(request.key);
  if (row.status === IN_PROGRESS_STATUS) {
    const progress = JSON.parse(row.response) as { done: number; state: S };
    return { kind: "resume", done: progress.done, state: progress.state, startedAt: row.createdAt };
  }
  const answer: StoredAnswer = { status: row.status, body: row.response };
  if (row.location !== null) answer.location = row.location;
  return { kind: "answered", answer };
}

/**
 * The stored answer for `request`'s key if it is still within the retention window: the answer
 * when route and body are the same, a 422 (IdempotencyKeyReusedError) when they differ, a 409
 * when the key's request is still being applied in chunks. A caller with costly work before its
 * write (decoding a large body) asks this first.
 */
export function storedAnswer(
  shard: Shard,
  request: IdempotentRequest,
  now: number,
): StoredAnswer | undefined {
  const state = keyState(shard, request, now);
  if (state.kind === "resume") throw new IdempotencyKeyInFlightError(request.key);
  return state.kind === "answered" ? state.answer : undefined;
}

/** Thrown inside the transaction to roll it back when another process stored the key first. */
class AlreadyAnswered {
  constructor(readonly answer: StoredAnswer) {}
}

/**
 * Applies `write` once per key: runs it in one write transaction that also stores its answer
 * under the request's key, so a stored key always means a stored change (and a rolled-back
 * change leaves no key). A retry with the same key and body gets the stored answer, `replayed`,
 * without running `write`; the same key with another body or route is a 422. Without a key
 * (`request` undefined) `write` simply runs in its transaction. The key is looked up again
 * inside the transaction (which holds the file's write lock), so two processes racing with one
 * key apply it once. Only answers `write` returns are stored: an error rolls everything back
 * and the key stays free for a corrected retry.
 */
export function idempotentWrite(
  shard: Shard,
  request: IdempotentRequest | undefined,
  now: number,
  write: () => StoredAnswer,
): IdempotentOutcome {
  if (!request) return { ...shard.transaction(write), replayed: false };
  const earlier = storedAnswer(shard, request, now);
  if (earlier) return { ...earlier, replayed: true };
  try {
    const answer = shard.transaction(() => {
      const raced = storedAnswer(shard, request, now);
      if (raced) throw new AlreadyAnswered(raced);
      const answer = write();
      shard
        .statement(
          `INSERT INTO idempotency_keys (scope, key, route, request_hash, status, response, location, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (scope, key) DO UPDATE SET route = excluded.route, request_hash = excluded.request_hash,
             status = excluded.status, response = excluded.response, location = excluded.location,
             created_at = excluded.created_at`,
        )
        .run(
          request.scope,
          request.key,
          request.route,
          request.hash,
          answer.status,
          answer.body,
          answer.location ?? null,
          now,
        );
      return answer;
    });
    return { ...answer, replayed: false };
  } catch (error) {
    if (error instanceof AlreadyAnswered) return { ...error.answer, replayed: true };
    throw error;
  }
}
