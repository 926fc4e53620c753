import type { Shard } from "../tenancy/shard.ts";
import { IdempotencyKeyInFlightError } from "./idempotency-key.ts";
import {
  type IdempotentOutcome,
  type IdempotentRequest,
  IN_PROGRESS_STATUS,
  type KeyState,
  keyState,
  type StoredAnswer,
} from "./idempotent-write.ts";

/**
 * A large request's work, cut into units in an order its body alone decides (so a retry with
 * the same body cuts it the same way), applied `chunk` units per write transaction.
 */
export interface ChunkedWork<S> {
  /** How many units in all (0 is fine: one transaction stores the answer). */
  total: number;
  /** Units per transaction. */
  chunk: number;
  /** The state before the first unit (JSON-serialisable: it is stored with the key between commits). */
  initial: S;
  /** Applies units [from, to) inside the transaction and returns the state after them. */
  apply(from: number, to: number, state: S): S;
  /** The request's answer once every unit is applied (stored with the key in the last transaction). */
  answer(state: S): StoredAnswer;
  /** Awaited between two transactions (the file's write lock is free meanwhile). */
  pause(): Promise<unknown>;
}

/** Thrown inside a transaction to roll it back: another process moved the key on first. */
class Overtaken {
  constructor(readonly now: KeyState<unknown>) {}
}

const INSERT_PROGRESS = `INSERT INTO idempotency_keys (scope, key, route, request_hash, status, response, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (scope, key) DO UPDATE SET route = excluded.route, request_hash = excluded.request_hash,
    status = excluded.status, response = excluded.response, created_at = excluded.created_at`;
const UPDATE_PROGRESS = "UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ? AND key = ?";

/**
 * Applies a large request in short write transactions of `work.chunk` units each, awaiting
 * `work.pause()` between them so other writers of the file get its lock in between, exactly
 * once per key across crashes and retries:
 *
 * - with a key (`request`), the first transaction stores the key's row with the progress
 *   (status IN_PROGRESS_STATUS, response `{"done": <units applied>, "state": <state>}`) in the
 *   same transaction as those units, each next one moves it on, and the last one replaces it
 *   with the answer. A retry of the same request after a crash or a disconnect (keyState says
 *   `resume`) passes that progress as `resume` and goes on from there: no unit is applied twice.
 *   Each transaction first checks the row still says what this run left it at (it holds the
 *   write lock), so two processes resuming one key never both apply a unit: the one overtaken
 *   gets the stored answer if there is one by then, else a 409.
 * - without a key the units are applied in the same short transactions, but nothing records
 *   them: a request cut off midway (the server stopped) has stored the chunks committed so far,
 *   and sending it again stores those again.
 *
 * `startedAt` is when the request was first received (keyState's `startedAt` on a resume): the
 * key's age counts from it.
 */
export async function chunkedIdempotentWrite<S>(
  shard: Shard,
  request: IdempotentRequest | undefined,
  startedAt: number,
  resume: { done: number; state: S } | undefined,
  work: ChunkedWork<S>,
): Promise<IdempotentOutcome> {
  let done = resume?.done ?? 0;
  let state = resume?.state ?? work.initial;
  let first = resume === undefined;
  for (;;) {
    const to = Math.min(done + Math.max(1, work.chunk), work.total);
    const last = to >= work.total;
    const from = done;
    try {
      const answer = shard.transaction(() => {
        if (request) {
          const current = keyState<S>(shard, request, startedAt);
          const expected = first
            ? current.kind === "new"
            : current.kind === "resume" && current.done === from;
          if (!expected) throw new Overtaken(current);
        }
        const next = work.apply(from, to, state);
        const answer = last ? work.answer(next) : undefined;
        if (request) {
          const status = answer ? answer.status : IN_PROGRESS_STATUS;
          const response = answer ? answer.body : JSON.stringify({ done: to, state: next });
          if (first)
            shard
              .statement(INSERT_PROGRESS)
              .run(request.scope, request.key, request.route, request.hash, status, response, startedAt);
          else shard.statement(UPDATE_PROGRESS).run(status, response, request.scope, request.key);
        }
        state = next;
        return answer;
      });
      if (answer) return { ...answer, replayed: false };
    } catch (error) {
      if (!(error instanceof Overtaken)) throw error;
      if (error.now.kind === "answered") return { ...error.now.answer, replayed: true };
      throw new IdempotencyKeyInFlightError(request?.key ?? "");
    }
    done = to;
    first = false;
    await work.pause();
  }
}
