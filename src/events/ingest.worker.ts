import { chunkedIdempotentWrite } from "../idempotency/chunked-write.ts";
import { requestHash } from "../idempotency/idempotency-key.ts";
import { type IdempotentOutcome, keyState } from "../idempotency/idempotent-write.ts";
import { purgeExpiredIdempotencyKeys } from "../idempotency/purge-idempotency-keys.ts";
import type { Actor } from "../identity/viewer.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { checkEvents, type RejectedEvent } from "./check-event.ts";
import { EVENTS_PER_COMMIT, type EventFormat, PAUSE_BETWEEN_COMMITS_MS } from "./event-limits.ts";
import { parseBatch } from "./parse-batch.ts";
import { inStorageOrder, storeEvents, withBatchCache } from "./store-events.ts";

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

/** What the commits so far came to: stored with the key between commits (chunked-write.ts). */
interface IngestProgress {
  stored: number;
  /** Events refused because their contact was not found, in the chunks committed so far. */
  rejected: RejectedEvent[];
}

/**
 * events.ingest: decodes a batch (JSON or msgpack), checks each event, and stores the valid ones
 * (contacts matched in SQL) in commits of EVENTS_PER_COMMIT, pausing between them so the
 * workspace's other writers get the lock. With an Idempotency-Key the key's row records the
 * progress in each commit: a retry after a crash or a disconnect resumes where the batch
 * stopped (its events checked against the first attempt's clock, so cut the same way), and a
 * retry of a finished batch gets the stored answer. Returns the answer's JSON as text (stored as
 * is with the key), so the server's thread only sends it; every refused event of the whole batch
 * is in it.
 */
const ingest: TaskHandler<IngestParams, Promise<IdempotentOutcome>> = async (input, context) => {
  const { format, actor, idempotency } = input.params;
  const body = new Uint8Array(input.params.body);
  const shard = context.shard("write");
  const request = idempotency && { ...idempotency, hash: requestHash(body) };
  let now = input.params.now;
  let resume: { done: number; state: IngestProgress } | undefined;
  // A finished retry is answered before its body is decoded again; decoding and checks happen
  // before the write lock is taken, which is held only to match contacts and insert.
  if (request) {
    const state = keyState<IngestProgress>(shard, request, now);
    if (state.kind === "answered") return { ...state.answer, replayed: true };
    if (state.kind === "resume") {
      now = state.startedAt;
      resume = { done: state.done, state: state.state };
    }
  }
  const { valid, rejected } = checkEvents(parseBatch(body, format), now);
  const ordered = inStorageOrder(valid);
  const outcome = await withBatchCache(shard, () =>
    chunkedIdempotentWrite<IngestProgress>(shard, request, now, resume, {
      total: ordered.length,
      chunk: EVENTS_PER_COMMIT,
      initial: { stored: 0, rejected: [] },
      apply(from, to, progress) {
        const chunk = storeEvents(shard, actor, ordered.slice(from, to));
        return {
          stored: progress.stored + chunk.stored,
          rejected:
            chunk.rejected.length === 0 ? progress.rejected : progress.rejected.concat(chunk.rejected),
        };
      },
      answer(progress) {
        const all = rejected.concat(progress.rejected).sort((a, b) => a.index - b.index);
        return { status: 200, body: JSON.stringify({ stored: progress.stored, rejected: all }) };
      },
      pause: () => Bun.sleep(PAUSE_BETWEEN_COMMITS_MS),
    }),
  );
  if (request && !outcome.replayed) purgeExpiredIdempotencyKeys(shard, now);
  return outcome;
};

export default ingest;
