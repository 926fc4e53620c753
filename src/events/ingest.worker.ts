import { requestHash } from "../idempotency/idempotency-key.ts";
import { type IdempotentOutcome, idempotentWrite, keyState } from "../idempotency/idempotent-write.ts";
import { purgeExpiredIdempotencyKeys } from "../idempotency/purge-idempotency-keys.ts";
import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { checkEvents } from "./check-event.ts";
import { type EarlierProgress, finishEarlierBatch } from "./earlier-batch.ts";
import type { EventFormat } from "./event-limits.ts";
import { parseBatch } from "./parse-batch.ts";
import { prepareEvents, storeEvents, withBatchSettings } from "./store-events.ts";

export interface IngestParams {
  /** The request's body as it arrived, shared with the server's thread (decoded here, off it): its first `length` bytes. */
  body: SharedArrayBuffer;
  length: number;
  format: EventFormat;
  actor: Actor;
  /** When the request arrived (the server's clock): `occurredAt`'s window and the key's age. */
  now: number;
  /** The Idempotency-Key and who sent it, when the client sent one. */
  idempotency?: { scope: string; key: string; route: string };
}

/**
 * events.ingest: decodes a batch (JSON or msgpack), checks each event, and stores the valid ones
 * in ONE write transaction (contacts matched in SQL, events appended to `events`, the contacts'
 * engagement summed up). Decoding, checks, payloads and sums are done before the write lock is
 * taken; the transaction holds it only for the lookups and inserts (~tens of ms for 10,000).
 * With an Idempotency-Key the key's answer is stored in the same transaction: a retry gets the
 * stored answer (before its body is decoded again) and the batch is stored once; a batch cut
 * off before its commit (a crash, a disconnect) stored nothing, and its retry stores it whole.
 * Returns the answer's JSON as text (stored as is with the key), so the server's thread only
 * sends it.
 */
const ingest: TaskHandler<IngestParams, Promise<IdempotentOutcome>> = async (input, context) => {
  const { format, actor, idempotency, now } = input.params;
  const body = new Uint8Array(input.params.body, 0, input.params.length);
  const shard = context.shard("write");
  const request = idempotency && { ...idempotency, hash: requestHash(body) };
  if (request) {
    // Answered already: no need to decode it again. (Same key, other body: 422.)
    const state = keyState<EarlierProgress>(shard, request, now);
    if (state.kind === "answered") return { ...state.answer, replayed: true };
    // Cut off midway by the previous release, which stored batches in chunks: the rest, once.
    if (state.kind === "resume") {
      const checked = checkEvents(parseBatch(body, format), state.startedAt);
      return finishEarlierBatch(shard, actor, request, state, checked, now);
    }
  }
  const { valid, rejected } = checkEvents(parseBatch(body, format), now);
  const batch = prepareEvents(valid);
  const outcome = withBatchSettings(shard, () =>
    idempotentWrite(shard, request, now, () => {
      const summary = storeEvents(shard, actor, batch);
      const all = summary.rejected.length === 0 ? rejected : rejected.concat(summary.rejected);
      all.sort((a, b) => a.index - b.index);
      return { status: 200, body: JSON.stringify({ stored: summary.stored, rejected: all }) };
    }),
  );
  // Off the server's thread already, and bounded (one transaction of at most 64 keys and 1 MiB
  // of answers): the events route has its own keys, outside the API's middleware and its purges.
  if (request && !outcome.replayed) purgeExpiredIdempotencyKeys(shard, now);
  return outcome;
};

export default ingest;
