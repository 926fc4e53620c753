import { IdempotencyKeyInFlightError } from "../idempotency/idempotency-key.ts";
import {
  type IdempotentOutcome,
  type IdempotentRequest,
  type KeyState,
  keyState,
} from "../idempotency/idempotent-write.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { CheckedEvent, RejectedEvent } from "./check-event.ts";
import { prepareEvents, storeEvents, withBatchSettings } from "./store-events.ts";

/**
 * What the previous release's chunked ingest recorded with a batch's key between its commits
 * (the key's `response` while its status is in progress): the events stored so far, and the
 * ones refused in those commits because their contact was not found.
 */
export interface EarlierProgress {
  stored: number;
  rejected: RejectedEvent[];
}

/**
 * The order in which the previous release stored a batch's valid events, `done` of them at a
 * time: by the contact they name as sent (`contactId`, else `email`), then by position. Depends
 * on the body alone, so the events it had not stored yet are the ones after its first `done`.
 */
function earlierStorageOrder(events: CheckedEvent[]): CheckedEvent[] {
  return [...events].sort((a, b) => {
    if (a.contactId !== undefined || b.contactId !== undefined) {
      if (a.contactId === undefined) return 1;
      if (b.contactId === undefined) return -1;
      if (a.contactId !== b.contactId) return a.contactId - b.contactId;
    } else if (a.email !== b.email) return (a.email ?? "") < (b.email ?? "") ? -1 : 1;
    return a.index - b.index;
  });
}

const FINISH_KEY = "UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ? AND key = ?";

/**
 * Finishes a batch the previous release began storing in chunks and was cut off (the server
 * stopped) before its last commit, sent again with its key: the events it had not stored yet
 * are stored in one transaction, which also stores the whole batch's answer with the key (so
 * every event is stored once, and later retries get that answer). `checked` are the batch's
 * events as checked against the first attempt's clock (`resume.startedAt`), as that release did.
 */
export function finishEarlierBatch(
  shard: Shard,
  actor: Actor,
  request: IdempotentRequest,
  resume: Extract<KeyState<EarlierProgress>, { kind: "resume" }>,
  checked: { valid: CheckedEvent[]; rejected: RejectedEvent[] },
  now: number,
): IdempotentOutcome {
  const batch = prepareEvents(earlierStorageOrder(checked.valid).slice(resume.done));
  return withBatchSettings(shard, () =>
    shard.transaction((): IdempotentOutcome => {
      // Under the write lock: another process may have finished it meanwhile.
      const current = keyState<EarlierProgress>(shard, request, now);
      if (current.kind === "answered") return { ...current.answer, replayed: true };
      if (current.kind !== "resume" || current.done !== resume.done)
        throw new IdempotencyKeyInFlightError(request.key);
      const summary = storeEvents(shard, actor, batch);
      const rejected = checked.rejected
        .concat(resume.state.rejected, summary.rejected)
        .sort((a, b) => a.index - b.index);
      const body = JSON.stringify({ stored: resume.state.stored + summary.stored, rejected });
      shard.statement(FINISH_KEY).run(200, body, request.scope, request.key);
      return { status: 200, body, replayed: false };
    }),
  );
}
