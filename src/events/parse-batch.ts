import { unpack } from "msgpackr";
import { AppError, BadRequestError } from "../core/errors.ts";
import { type EventFormat, MAX_EVENTS_PER_REQUEST } from "./event-limits.ts";

/** 413 for a batch of more events than a request may carry. */
export class TooManyEventsError extends AppError {
  constructor(count: number) {
    super(
      413,
      "Payload Too Large",
      `a request carries at most ${MAX_EVENTS_PER_REQUEST.toLocaleString("en")} events; this one has ${count.toLocaleString("en")}: split it`,
    );
  }
}

/**
 * The events a request's body holds: a JSON or msgpack array. 400 when the body does not decode
 * or is not an array; 413 past MAX_EVENTS_PER_REQUEST. The items are checked one by one later.
 */
export function parseBatch(body: Uint8Array, format: EventFormat): unknown[] {
  let decoded: unknown;
  try {
    // JSON is UTF-8 (RFC 8259): bytes that are not are refused, not stored as U+FFFD.
    decoded =
      format === "json" ? JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)) : unpack(body);
  } catch {
    throw new BadRequestError(`the body is not valid ${format === "json" ? "JSON" : "msgpack"}`, "body");
  }
  if (!Array.isArray(decoded)) throw new BadRequestError("the body must be an array of events", "body");
  if (decoded.length > MAX_EVENTS_PER_REQUEST) throw new TooManyEventsError(decoded.length);
  return decoded;
}
