/**
 * Idempotency-Key on every POST of the JSON API (the events ingest has its own, in its worker).
 *
 * - idempotentPosts (middleware, once for the whole API): checks the header (400 when bad),
 *   answers a retry within the retention window with the stored answer (status, body,
 *   Location, `Idempotency-Replayed: true`) without running the route, refuses the same key
 *   with another body or URL (422) or while its first request is still running in this process
 *   (409), and otherwise lets the route run with the key pending.
 * - answerOnce (in each POST handler): runs the route's write and renders its answer inside
 *   ONE transaction that also stores the answer under the key (idempotentWrite), so a stored
 *   key always means a stored change; a refused write stores nothing and frees the key.
 * - workerKey: for a route whose write runs in a worker (bulk, merge), the key and clock to
 *   hand to the worker, which stores the answer in its own transaction the same way.
 *
 * A POST that succeeds with a key but went through neither is a programming error: the
 * middleware throws, so a new route cannot silently ignore keys (test/idempotent-api.test.ts
 * replays every POST route).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import {
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  idempotencyScope,
  REPLAYED_HEADER,
  requestHash,
} from "./idempotency-key.ts";
import {
  type IdempotentRequest,
  idempotentWrite,
  type StoredAnswer,
  storedAnswer,
  type WorkerKey,
} from "./idempotent-write.ts";
import { InFlightKeys } from "./in-flight-keys.ts";
import { purgeExpiredIdempotencyKeys } from "./purge-idempotency-keys.ts";

/** A POST's key while its route runs: what answerOnce or workerKey store the answer under. */
interface PendingKey {
  request: IdempotentRequest;
  now: number;
  /** Set once the route took the key into its write. */
  taken: boolean;
}

/** By request: the route reads its pending key without a context variable every env would have to declare. */
const PENDING = new WeakMap<Request, PendingKey>();

/** The answer as sent, first time or replayed. */
function sendAnswer(c: Context, answer: StoredAnswer, replayed: boolean): Response {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (answer.location) headers.Location = answer.location;
  if (replayed) headers[REPLAYED_HEADER] = "true";
  return c.body(answer.body, answer.status as 200, headers);
}

/** The middleware (see the file's comment). Keys are scoped to who sent them: one API key's keys never answer another's. */
export function idempotentPosts(deps: Pick<AppDeps, "now">): MiddlewareHandler<ViewerEnv> {
  const inFlight = new InFlightKeys();
  return async function idempotentPosts(c, next) {
    if (c.req.method !== "POST") return next();
    const key = idempotencyKeyOf(c.req.header(IDEMPOTENCY_HEADER));
    if (key === undefined) return next();
    // The body was read whole (under the limit) before the workspace's file was opened.
    const hash = requestHash(new Uint8Array(await c.req.arrayBuffer()));
    const scope = idempotencyScope(c.var.viewer);
    const release = inFlight.claim(c.var.tenant.id, scope, key);
    try {
      const request: IdempotentRequest = { scope, key, route: `POST ${new URL(c.req.url).pathname}`, hash };
      const now = deps.now();
      const earlier = storedAnswer(c.var.shard, request, now);
      if (earlier) return sendAnswer(c, earlier, true);
      const pending: PendingKey = { request, now, taken: false };
      PENDING.set(c.req.raw, pending);
      await next();
      if (!pending.taken && c.res.status < 300)
        throw new Error(`${request.route} answered without storing its ${IDEMPOTENCY_HEADER}`);
    } finally {
      release();
    }
  };
}

/** The request's pending key, marked as taken by the route. */
function takeKey(c: Context): PendingKey | undefined {
  const pending = PENDING.get(c.req.raw);
  if (pending) pending.taken = true;
  return pending;
}

/**
 * Runs a POST's `write` and renders its answer (`json`, and `location` for a created record)
 * in one transaction that also stores the answer under the request's Idempotency-Key, if it
 * has one. Everything `write` does must be synchronous and on this shard.
 */
export function answerOnce(
  c: Context<ViewerEnv>,
  status: 200 | 201,
  write: () => { json: unknown; location?: string },
): Response {
  const pending = takeKey(c);
  const now = pending?.now ?? Date.now();
  const outcome = idempotentWrite(c.var.shard, pending?.request, now, () => {
    const answer = write();
    return { status, body: JSON.stringify(answer.json), location: answer.location };
  });
  if (pending && !outcome.replayed) purgeExpiredIdempotencyKeys(c.var.shard, now);
  return sendAnswer(c, outcome, outcome.replayed);
}

/** The request's key for a write that runs in a worker (which calls idempotentWrite with it), or undefined. */
export function workerKey(c: Context<ViewerEnv>): WorkerKey | undefined {
  const pending = takeKey(c);
  return pending && { request: pending.request, now: pending.now };
}

/** Sends what a worker answered under workerKey: its stored answer, marked when it was a replay. */
export function sendWorkerAnswer(c: Context, answer: StoredAnswer & { replayed: boolean }): Response {
  return sendAnswer(c, answer, answer.replayed);
}
