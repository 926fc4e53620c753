import type { MiddlewareHandler } from "hono";
import { RequestTimeoutError } from "../tenant-middleware.ts";

/**
 * `body`, ending in a RequestTimeoutError once `deadline` (ms since the epoch) passes: a read
 * still waiting then is refused, and the sender's rest is cancelled. The clock runs only while
 * someone reads (a handler that answers without reading waits for nothing).
 */
export function bodyWithDeadline(
  body: ReadableStream<Uint8Array>,
  deadline: number,
  seconds: number,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let timer: Timer | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), Math.max(0, deadline - Date.now()));
        });
        try {
          const read = await Promise.race([reader.read(), late]);
          if (read === "late") {
            void reader.cancel().catch(() => {});
            controller.error(new RequestTimeoutError(seconds));
          } else if (read.done) controller.close();
          else controller.enqueue(read.value);
        } catch (error) {
          controller.error(error);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    // Nothing is read ahead: the first pull is the reader's own.
    { highWaterMark: 0 },
  );
}

/**
 * Puts CRM_BODY_TIMEOUT_SECONDS, counted from when the request's headers arrived, on a body of
 * unknown length (chunked): the body limit after this reads such a body whole before anything
 * else, so the deadline must be on the stream it reads, which then fails with the 408. A body of
 * declared length is not read by the body limit; holdShard reads it within the same time.
 */
export function bodyDeadline(seconds: number): MiddlewareHandler {
  return async function bodyDeadline(c, next) {
    const raw = c.req.raw;
    const unknownLength = raw.headers.has("transfer-encoding") || !raw.headers.has("content-length");
    if (raw.body && unknownLength) {
      const body = bodyWithDeadline(raw.body, Date.now() + seconds * 1000, seconds);
      c.req.raw = new Request(raw, { body, duplex: "half", signal: raw.signal } as RequestInit);
    }
    await next();
  };
}
