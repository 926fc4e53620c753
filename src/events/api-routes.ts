import { Hono } from "hono";
import { AppError, BadRequestError } from "../core/errors.ts";
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
import type { EventFormat } from "./event-limits.ts";
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
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength === 0) throw new BadRequestError("the body must be an array of events", "body");
    // Handed to the worker as shared memory: posting 1.5 MB of bytes to a thread copies them on
    // this thread (measured ~17 ms); a SharedArrayBuffer crosses by reference (copying into it ~0.1 ms).
    const body = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(body).set(bytes);
    const { tenant, viewer } = c.var;
    const scope = idempotencyScope(viewer);
    const release = key === undefined ? undefined : inFlight.claim(tenant.id, scope, key);
    try {
      const params: IngestParams = {
        body,
        format,
        actor: actorOf(viewer),
        now: deps.now(),
        idempotency: key === undefined ? undefined : { scope, key, route: `POST ${c.req.routePath}` },
      };
      const outcome = await deps.pool.run<IdempotentOutcome>(
        "events.ingest",
        { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params },
        { signal: c.req.raw.signal },
      );
      return c.body(outcome.body, outcome.status as 200, {
        "Content-Type": "application/json",
        ...(outcome.replayed ? { [REPLAYED_HEADER]: "true" } : {}),
      });
    } finally {
      release?.();
    }
  });
  return app;
}
