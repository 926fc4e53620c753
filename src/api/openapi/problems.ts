import { PROBLEM_KINDS, problemTypeUri } from "../../core/problem-types.ts";
import { RATE_LIMIT_HEADERS } from "./api-contract.ts";

// The OpenAPI document, part: problem+json answers. One shared response per status under
// `components.responses` (names below are stable: other parts refer to them), and
// `problemResponses(…)` to list an operation's.

/** The problem+json body of every error answer (src/http/problem.ts writes it). */
export const problemSchema = {
  type: "object",
  description:
    "RFC 9457 problem details. `type` names the kind of problem (see /api/v1/problems); `status` repeats the HTTP status; `errors` names each invalid field of a 400 or 422.",
  required: ["type", "title", "status", "detail"],
  additionalProperties: false,
  properties: {
    type: {
      type: "string",
      enum: PROBLEM_KINDS.map((k) => problemTypeUri(k.kind)),
      description: `A relative URI, the same on every host; GET it for its description. ${PROBLEM_KINDS.map((k) => `\`${k.kind}\` (${k.status})`).join(", ")}.`,
    },
    title: { type: "string", description: "The status's reason phrase" },
    status: { type: "integer", enum: PROBLEM_KINDS.map((k) => k.status) },
    detail: { type: "string", description: "What went wrong, for a person" },
    errors: {
      type: "array",
      description: "400 and 422 only, when the problem is with named fields or parameters",
      items: {
        type: "object",
        required: ["field", "message"],
        additionalProperties: false,
        properties: {
          field: {
            type: "string",
            description: "The body field (dotted for nested ones: `rules.1.value`) or query parameter",
          },
          message: { type: "string" },
        },
      },
    },
  },
};

const retryAfter = {
  "Retry-After": {
    description: "Seconds to wait before trying again",
    required: true,
    schema: { type: "integer", minimum: 0 },
  },
};

interface SharedResponse {
  name: string;
  description: string;
  headers?: Record<string, object>;
  /** Answered before the app sees the request: no problem body. */
  bodiless?: boolean;
}

/** What each status means on any operation; an operation may say more in its own description. */
const SHARED: Record<number, SharedResponse> = {
  400: {
    name: "BadRequest",
    description:
      "Malformed JSON, an unknown or repeated query parameter, or a sort, filter or cursor outside the allow-list (`errors` names it)",
  },
  401: {
    name: "Unauthorized",
    description:
      "Missing, unknown or revoked API key, a key for another workspace, or a workspace that does not exist (the same answer)",
    headers: {
      "WWW-Authenticate": {
        description: 'Always `Bearer realm="crm"`',
        required: true,
        schema: { type: "string" },
      },
    },
  },
  403: { name: "Forbidden", description: "The key's role may not do this (read-only keys cannot write)" },
  404: { name: "NotFound", description: "No such record in this workspace" },
  405: {
    name: "MethodNotAllowed",
    description: "The path does not take this method",
    headers: {
      Allow: { description: "The methods the path takes", required: true, schema: { type: "string" } },
    },
  },
  408: { name: "RequestTimeout", description: "The body did not arrive in time; nothing was written" },
  409: {
    name: "Conflict",
    description:
      "A request with the same `Idempotency-Key` is still being processed; retry when it has been answered",
  },
  412: {
    name: "PreconditionFailed",
    description: "`If-Match` names a version the record no longer has: nothing was written; read it again",
  },
  413: { name: "PayloadTooLarge", description: "The body is larger than the limit; nothing was written" },
  415: { name: "UnsupportedMediaType", description: "The body is not application/json" },
  421: {
    name: "MisdirectedRequest",
    description:
      "In a cluster, the workspace lives on another host (asked directly rather than through the front address)",
    headers: {
      "CRM-Owner": {
        description: "The name of the host that serves the workspace",
        required: true,
        schema: { type: "string" },
      },
    },
  },
  422: {
    name: "ValidationFailed",
    description: "A field is invalid; `errors` names each one and nothing was written",
  },
  428: { name: "PreconditionRequired", description: "This write needs an `If-Match` header" },
  429: {
    name: "TooManyRequests",
    description:
      "Past a rate limit (the key's, the workspace's or the address's), or too many failed key checks from this address",
    headers: { ...retryAfter, ...RATE_LIMIT_HEADERS },
  },
  431: {
    name: "RequestHeaderFieldsTooLarge",
    description:
      "The request's headers are past the server's limit (answered by the HTTP server itself, without a body)",
    bodiless: true,
  },
  500: {
    name: "InternalError",
    description: "Something went wrong on the server's side; it has been logged",
  },
  503: {
    name: "ServiceUnavailable",
    description:
      "The workspace is busy with a large change, the worker pool is full, or the workspace is out of service",
    headers: retryAfter,
  },
  504: { name: "GatewayTimeout", description: "The work took too long and was stopped" },
  507: {
    name: "InsufficientStorage",
    description: "The server's disk is full; nothing was written",
    headers: retryAfter,
  },
};

/** `components.responses`: one shared answer per status, by name (`#/components/responses/NotFound`). */
export const PROBLEM_RESPONSES = Object.fromEntries(
  Object.values(SHARED).map((r) => [
    r.name,
    {
      description: r.description,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(r.bodiless
        ? {}
        : { content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } }),
    },
  ]),
);

/** A problem status, or a status with its own description (`[422, "…"]`) overriding the shared one. */
export type ErrorStatus = number | [number, string];

/** The statuses any operation under /t/{tenant} can answer with, whatever it does (421: only in a cluster). */
export const ANY_REQUEST = [400, 401, 404, 421, 429, 431, 500, 503] as const;

/** …and what any write adds: a role, a body (its size, type, arrival and fields) and the disk. */
export const ANY_WRITE = [...ANY_REQUEST, 403, 408, 413, 415, 422, 507] as const;

/**
 * An operation's problem answers, each a reference to the shared response of its status
 * (OpenAPI 3.1 lets a reference carry its own `description`). Sorted by status; a status given
 * twice keeps its last description, so a caller can start from ANY_WRITE and reword some.
 */
export function problemResponses(...statuses: ErrorStatus[]): Record<string, object> {
  const byStatus = new Map<number, string | undefined>();
  for (const entry of statuses) {
    const [status, description] = typeof entry === "number" ? [entry, undefined] : entry;
    if (!SHARED[status]) throw new Error(`no shared response for status ${status}`);
    if (description !== undefined || !byStatus.has(status)) byStatus.set(status, description);
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, description]) => [
        String(status),
        {
          $ref: `#/components/responses/${SHARED[status]?.name}`,
          ...(description === undefined ? {} : { description }),
        },
      ]),
  );
}
