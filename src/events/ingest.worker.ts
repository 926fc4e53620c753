import { requestHash } from "../idempotency/idempotency-key.ts";
import { type IdempotentOutcome, idempotentWrite, storedAnswer } from "../idempotency/idempotent-write.ts";
import { purgeExpiredIdempotencyKeys } from "../idempotency/purge-idempotency-keys.ts";
import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { checkEvents } from "./check-event.ts";
import type { EventFormat } from "./event-limits.ts";
import { parseBatch } from "./parse-batch.ts";
import { storeEvents, withBatchCache } from "./store-events.ts";

export interface IngestParams {
  /** The request's body as it arrived, shared with the server's thread (decoded here, off it). */
  body: SharedArrayBuffer;
  format: EventFormat;
  actor: Actor;
  /** When the request arrived (the server's clock): `occurredAt`'s window and the key's age. */
  now: number;
  /** The Idempotency-Key and who sent it, when the client sent one. */
  idempotency?: { scope: string; key: string; route: string };
}

/**
 * events.ingest: decodes a batch (JSON or msgpack), checks each event, matches contacts in SQL
 * and stores the valid events in one transaction with the request's Idempotency-Key; a retry
 * with the same key gets the stored answer. Returns the answer's JSON as text (stored as is
 * with the key), so the server's thread only sends it.
 */
const ingest: TaskHandler<IngestParams, IdempotentOutcome> = (input, context) => {
  const { format, actor, now, idempotency } = input.params;
  const body = new Uint8Array(input.params.body);
  const shard = context.shard("write");
  const request = idempotency && { ...idempotency, hash: requestHash(body) };
  // A retry is answered before its body is decoded again; decoding and checks happen before the
  // write lock is taken, which is held only to match contacts and insert.
  const earlier = request && storedAnswer(shard, request, now);
  if (earlier) return { ...earlier, replayed: true };
  const { valid, rejected } = checkEvents(parseBatch(body, format), now);
  const outcome = withBatchCache(shard, () =>
    idempotentWrite(shard, request, now, () => ({
      status: 200,
      body: JSON.stringify(storeEvents(shard, actor, valid, rejected)),
    })),
  );
  if (request && !outcome.replayed) purgeExpiredIdempotencyKeys(shard, now);
  return outcome;
};

export default ingest;
