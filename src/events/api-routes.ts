import { type Context, Hono } from "hono";
import { AppError, BadRequestError, PayloadTooLargeError } from "../core/errors.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import {
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  idempotencyScope,
  REPLAYED_HEADER,
} from "../idempotency/idempotency-key.ts";
import type { IdempotentOutcome } from "../idempotency/idempotent-write.ts";
import { InFlightKeys } from "../idempotency/in-flight-keys.ts";
import { actorOf } from "../identity/viewer.ts";
import { EVENTS_MAX_BYTES, type EventFormat } from "./event-limits.ts";
import type { IngestParams } from "./ingest.worker.ts";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
const MSGPACK_TYPE = /^application\/(?:x-|vnd\.)?msgpack\b/i;

function formatOf(contentType: string | undefined): EventFormat {
  if (contentType && JSON_TYPE.test(contentType)) return "json";
  if (contentType && MSGPACK_TYPE.test(contentType)) return "msgpack";
  throw new AppError(
    415,
    "Unsupported Media Type",
    "send the events as application/json or application/msgpack",
  );
}

/**
 * Shared buffers of EVENTS_MAX_BYTES the bodies are copied into, kept for the next requests: a
 * fresh 1.5 MB SharedArrayBuffer per request cost this thread its page faults (measured up to
 * 15–25 ms a request on a loaded machine); a reused one is written at memory speed (~0.1 ms). A
 * buffer goes back only once its task has answered (the worker no longer reads it).
 */
const spareBodies: SharedArrayBuffer[] = [];
const SPARE_BODIES = 4;

/** The body (read whole by the tenant middleware, under the route's limit) in a shared buffer. */
async function sharedBody(c: Context): Promise<{ buffer: SharedArrayBuffer; length: number }> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > EVENTS_MAX_BYTES) throw new PayloadTooLargeError(EVENTS_MAX_BYTES);
  const buffer = spareBodies.pop() ?? new SharedArrayBuffer(EVENTS_MAX_BYTES);
  new Uint8Array(buffer).set(bytes);
  return { buffer, length: bytes.byteLength };
}

/**
 * POST /api/v1/t/:tenant/events: a batch of up to 10,000 events (JSON or msgpack array). The
 * body, read whole under the route's own limit, goes as shared bytes to the pool (events.ingest), which
 * decodes, checks, matches and stores it in one transaction; this thread only sends the answer
 * back: 200 `{stored, rejected: [{index, field, message}]}`. An `Idempotency-Key` makes a retry
 * answer the first result (`Idempotency-Replayed: true`) instead of storing the events twice
 * (ingest.worker.ts).
 */
export function eventApiRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  const inFlight = new InFlightKeys();
  app.post("/", async (c) => {
    const format = formatOf(c.req.header("content-type"));
    const key = idempotencyKeyOf(c.req.header(IDEMPOTENCY_HEADER));
    // Handed to the worker as shared memory: posting 1.5 MB of bytes to a thread copies them on
    // this thread (measured ~17 ms); a SharedArrayBuffer crosses by reference.
    const { buffer, length } = await sharedBody(c);
    if (length === 0) {
      if (spareBodies.length < SPARE_BODIES) spareBodies.push(buffer);
      throw new BadRequestError("the body must be an array of events", "body");
    }
    const { tenant, viewer } = c.var;
    const scope = idempotencyScope(viewer);
    /** Whether the worker may still be reading the buffer: from the run's start until it answers. */
    let inUse = false;
    let release: (() => void) | undefined;
    try {
      release = key === undefined ? undefined : inFlight.claim(tenant.id, scope, key);
      const params: IngestParams = {
        body: buffer,
        length,
        format,
        actor: actorOf(viewer),
        now: deps.now(),
        idempotency: key === undefined ? undefined : { scope, key, route: `POST ${c.req.routePath}` },
      };
      inUse = true;
      const outcome = await deps.pool.run<IdempotentOutcome>(
        "events.ingest",
        { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params },
        { signal: c.req.raw.signal },
      );
      inUse = false;
      return c.body(outcome.body, outcome.status as 200, {
        "Content-Type": "application/json",
        ...(outcome.replayed ? { [REPLAYED_HEADER]: "true" } : {}),
      });
    } finally {
      release?.();
      // Cancelled, timed out or failed, the task may still be reading it: that buffer is left to the GC.
      if (!inUse && spareBodies.length < SPARE_BODIES) spareBodies.push(buffer);
    }
  });
  return app;
}
