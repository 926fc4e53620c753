/**
 * Domain errors. Services and guards throw these; one `onError` (server/on-error.ts) turns each
 * into a problem+json body, an inline htmx fragment, or an error page, by the request.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FieldIssue {
  field: string;
  message: string;
}

export class NotFoundError extends AppError {
  constructor(what = "resource") {
    super(404, "Not Found", `${what} not found`);
  }
}

export class BadRequestError extends AppError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(400, "Bad Request", message);
  }
}

/**
 * How many of a refusal's issues its problem lists (`errors`, and the detail): the first ones
 * and a count of the rest, so that a body with thousands of bad fields cannot make an answer
 * thousands of times its size, or hold the event loop to build it.
 */
export const MAX_LISTED_ISSUES = 20;

/** Input that parsed but broke a rule: 422 naming each field (the first MAX_LISTED_ISSUES in its detail). */
export class ValidationError extends AppError {
  constructor(readonly issues: FieldIssue[]) {
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `${i.field}: ${i.message}`);
    const more = issues.length - listed.length;
    super(422, "Unprocessable Content", listed.join("; ") + (more > 0 ? `; and ${more} more` : ""));
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = "authentication required") {
    super(401, "Unauthorized", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "you do not have permission to do this") {
    super(403, "Forbidden", message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, "Payload Too Large", `request body is larger than ${limitBytes} bytes`);
  }
}

/** 429 (too many attempts) or 503 (server busy): both tell the client when to try again. */
export class RetryLaterError extends AppError {
  constructor(
    status: 429 | 503,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(status, status === 429 ? "Too Many Requests" : "Service Unavailable", message);
  }
}

/**
 * The worker pool has no room now (full, or the workspace's share in flight): worth waiting for,
 * unlike a 503 a task answered from its thread (a workspace out of service, frozen by a move).
 */
export class PoolBusyError extends RetryLaterError {}
