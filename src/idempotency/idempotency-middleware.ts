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
 * A POST that succeeds with a key but went through neither is a programming error, caught at
 * test time: test/idempotent-api.test.ts replays every POST the OpenAPI document lists and
 * checks its key was stored. At run time it is logged as an error, and the route's answer is
 * sent as it is: its change is committed by then, so a 500 would only make the client retry and
 * write it twice.
 *
 * After a write that stored a key, expired keys are purged in the worker pool
 * (ExpiredKeyPurges), never on this thread.
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorFields } from "../core/logger.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { ExpiredKeyPurges } from "./expired-key-purges.ts";
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
import type { PurgeParams, PurgeResult } from "./purge.worker.ts";

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
export function idempotentPosts(
  deps: Pick<AppDeps, "now" | "pool" | "logger" | "isDraining">,
): MiddlewareHandler<ViewerEnv> {
  const inFlight = new InFlightKeys();
  const purges = new ExpiredKeyPurges(
    (tenant, now) =>
      deps.pool.run<PurgeResult>(
        "idempotency.purge",
        { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params: { now } satisfies PurgeParams },
        // Upkeep, like a checkpoint: never a slot of the workspace's share of the pool.
        { upkeep: true },
      ),
    deps.now,
    (tenant, error) => {
      if (!deps.isDraining())
        deps.logger.warn("expired idempotency keys not purged", { slug: tenant.slug, ...errorFields(error) });
    },
  );
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
      if (c.res.status >= 300) return;
      if (pending.taken) purges.afterKeyedWrite(c.var.shard, c.var.tenant);
      // A route that forgot its key (see the file's comment): its change is committed, so its
      // answer goes out; a 500 would invite a retry that writes it again.
      else
        deps.logger.error(
          "a POST answered without storing its Idempotency-Key: a retry will apply it again",
          {
            route: request.route,
            status: c.res.status,
            requestId: c.get("requestId"),
          },
        );
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
