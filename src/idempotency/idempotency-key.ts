import { createHash } from "node:crypto";
import { AppError, BadRequestError, ValidationError } from "../core/errors.ts";

/** The request header a client names its request with, so a retry is answered once. */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Set on an answer that is the stored one of an earlier request with the same key (not applied again). */
export const REPLAYED_HEADER = "Idempotency-Replayed";
/** How long a key is remembered: a retry within 24 hours gets the first answer; after that the key is free again. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

const MAX_KEY_LENGTH = 255;
/** Printable ASCII without spaces: a UUID, a ULID, a hash, a batch name. */
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * The `Idempotency-Key` header's value, or undefined when the client sent none (the request is
 * then applied as usual); 400 naming the header when it is empty, too long or not printable ASCII.
 */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.length === 0 || header.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(header))
    throw new BadRequestError(
      `the ${IDEMPOTENCY_HEADER} header must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces`,
      IDEMPOTENCY_HEADER,
    );
  return header;
}

/** SHA-256 (hex) of a request's body: what tells a retry (same body) from a reused key (another body). */
export function requestHash(body: Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

/** Who sent a request, as keys are scoped: one client's keys never answer another's requests. */
export function idempotencyScope(viewer: { kind: "user" | "api_key"; id: number }): string {
  return `${viewer.kind}:${viewer.id}`;
}

/** 422: the key was first used for another request (another body or route). */
export class IdempotencyKeyReusedError extends ValidationError {
  constructor(key: string) {
    super([
      {
        field: IDEMPOTENCY_HEADER,
        message: `${JSON.stringify(key)} was already used for a different request; send a new key for a new request`,
      },
    ]);
  }
}

/** 409: a request with the same key is still being applied; retry once it has been answered. */
export class IdempotencyKeyInFlightError extends AppError {
  constructor(key: string) {
    super(
      409,
      "Conflict",
      `a request with the ${IDEMPOTENCY_HEADER} ${JSON.stringify(key)} is still being processed; retry when it has been answered`,
    );
  }
}
