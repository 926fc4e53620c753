/**
 * The kinds of problem the API answers with, by HTTP status: what a problem+json body's `type`
 * says, so a client can branch on a stable string instead of parsing `detail`. Every AppError
 * becomes one through its status (src/http/on-error.ts, src/http/problem.ts), so an error class added later gets
 * its kind without a change here, as long as its status is listed.
 *
 * A kind's `type` is the relative URI `/api/v1/problems/<kind>` (RFC 9457 allows a relative
 * reference): the same string on every host, and on any one it answers GET with the kind's
 * description (src/api/problem-routes.ts). The OpenAPI document's Problem schema lists them.
 */

export interface ProblemKind {
  /** The last segment of its `type`, e.g. `validation`. */
  kind: string;
  status: number;
  title: string;
  /** When the server answers with it, for the document and the kind's own page. */
  description: string;
}

export const PROBLEM_TYPE_PREFIX = "/api/v1/problems/";

/** Every kind, in status order; `kind` names are stable (clients compare them). */
export const PROBLEM_KINDS: readonly ProblemKind[] = [
  {
    kind: "malformed",
    status: 400,
    title: "Bad Request",
    description:
      "The request could not be read as sent: malformed JSON, a body that is not an object, an unknown or repeated query parameter, or a sort, filter or cursor outside the allow-list. `errors` names the parameter when there is one.",
  },
  {
    kind: "unauthorized",
    status: 401,
    title: "Unauthorized",
    description:
      "No API key, or one that is unknown, revoked or for another workspace; a workspace that does not exist answers the same. The answer carries `WWW-Authenticate: Bearer`.",
  },
  {
    kind: "forbidden",
    status: 403,
    title: "Forbidden",
    description:
      "The key's role may not do this: read-only keys cannot write; pipelines, stages and custom fields need an admin or owner key.",
  },
  {
    kind: "not-found",
    status: 404,
    title: "Not Found",
    description:
      "No such record in this workspace (another workspace's ids are simply not there), or no such route.",
  },
  {
    kind: "method-not-allowed",
    status: 405,
    title: "Method Not Allowed",
    description: "The path exists but not with this method; `Allow` lists the methods it takes.",
  },
  {
    kind: "request-timeout",
    status: 408,
    title: "Request Timeout",
    description: "The request's body did not arrive in time; send it again.",
  },
  {
    kind: "conflict",
    status: 409,
    title: "Conflict",
    description:
      "The request conflicts with one in progress (a retry sent while the first request with its `Idempotency-Key` is still being processed) or with the record's state.",
  },
  {
    kind: "gone",
    status: 410,
    title: "Gone",
    description: "What was asked for existed once and was removed (a prepared download already taken).",
  },
  {
    kind: "precondition-failed",
    status: 412,
    title: "Precondition Failed",
    description:
      "`If-Match` names a version the record no longer has: someone changed it since it was read. Read it again and reapply the change.",
  },
  {
    kind: "payload-too-large",
    status: 413,
    title: "Payload Too Large",
    description: "The body (or the number of items in it) is past the limit; nothing was stored.",
  },
  {
    kind: "unsupported-media-type",
    status: 415,
    title: "Unsupported Media Type",
    description:
      "The body is not `application/json` (or, where an operation says so, `application/msgpack`).",
  },
  {
    kind: "misdirected",
    status: 421,
    title: "Misdirected Request",
    description:
      "The workspace is served by another host of the cluster: `CRM-Owner` names it. Send the request to that host, or to the cluster's front address, which routes it.",
  },
  {
    kind: "validation",
    status: 422,
    title: "Unprocessable Content",
    description:
      "The body parsed but a field broke a rule (a length, a format, a range, a record that must exist in this workspace, a pair of fields that go together). `errors` names each field (`rules.1.value` for a nested one); nothing was written.",
  },
  {
    kind: "precondition-required",
    status: 428,
    title: "Precondition Required",
    description: "This write needs an `If-Match` header naming the version it changes.",
  },
  {
    kind: "rate-limited",
    status: 429,
    title: "Too Many Requests",
    description:
      "Too many requests from this address or for this workspace. Wait the `Retry-After` seconds before trying again.",
  },
  {
    kind: "internal",
    status: 500,
    title: "Internal Server Error",
    description:
      "Something went wrong on the server's side; it has been logged. Nothing is to be fixed in the request.",
  },
  {
    kind: "bad-gateway",
    status: 502,
    title: "Bad Gateway",
    description:
      "Another host of the cluster that this one had to ask (a tenant move's copy or catch-up) did not answer or refused. Only host-to-host routes (/_cluster/…) answer it; the move can be run again.",
  },
  {
    kind: "unavailable",
    status: 503,
    title: "Service Unavailable",
    description:
      "The workspace is busy with a large change, the worker pool is full, the workspace's file is out of service, or its writes are frozen for a few seconds while it moves to another host. Try again after `Retry-After` seconds.",
  },
  {
    kind: "timeout",
    status: 504,
    title: "Gateway Timeout",
    description: "The work took too long and was stopped; a narrower request may finish.",
  },
  {
    kind: "insufficient-storage",
    status: 507,
    title: "Insufficient Storage",
    description: "The server's disk is full, so nothing was saved. Try again after `Retry-After` seconds.",
  },
];

const BY_STATUS = new Map(PROBLEM_KINDS.map((k) => [k.status, k]));

/** The problem kind of a status, if it has one. */
export function problemKindOf(status: number): ProblemKind | undefined {
  return BY_STATUS.get(status);
}

/** A kind's `type` URI (`/api/v1/problems/validation`). */
export const problemTypeUri = (kind: string) => `${PROBLEM_TYPE_PREFIX}${kind}`;

/**
 * The `type` of a problem with this status. A status with no kind of its own is `about:blank`
 * (RFC 9457: no more meaning than the status); the API test fails on such an answer, since the
 * document's enum does not list it.
 */
export function problemTypeOf(status: number): string {
  const kind = problemKindOf(status);
  return kind ? problemTypeUri(kind.kind) : "about:blank";
}
