// The OpenAPI document, part: what every route shares beyond its own operation, added to the
// finished document in one place: ETags and conditional requests on record items (src/http/entity-tag.ts),
// the rate-limit headers and 429 (src/http/middleware/rate-limit*.ts), 405 and the query-parameter rule
// (src/http/middleware/api-route-rules.ts).

const integerHeader = (description: string) => ({ description, schema: { type: "integer", minimum: 0 } });

/** RateLimit-Limit, -Remaining and -Reset: on every API answer while a limit is on. */
export const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": integerHeader("Requests the tightest bucket this request went through holds when full"),
  "RateLimit-Remaining": integerHeader("Requests left in that bucket"),
  "RateLimit-Reset": integerHeader("Seconds until that bucket is full again"),
};

const ETAG = {
  ETag: {
    description:
      "A strong entity tag of this JSON answer: it changes with every write that changes what the record answers",
    schema: { type: "string" },
  },
};

const header = (name: string, description: string) => ({
  name,
  in: "header",
  required: false,
  schema: { type: "string" },
  description,
});

const IF_NONE_MATCH = header(
  "If-None-Match",
  "An ETag from an earlier GET: 304 with no body while it still matches",
);
const IF_MATCH = header(
  "If-Match",
  "An ETag from a GET (or `*`): the write happens only if the record still has it, else 412 and nothing is written. Without it the write goes ahead",
);
const IF_MATCH_STAGE = header(
  "If-Match",
  "An ETag of the stage's pipeline (a pipeline answers its stages; `*` matches any): else 412 and nothing is written",
);

// 412 and 429 are the shared responses (problems.ts): the 429 there carries RATE_LIMIT_HEADERS too.
const PRECONDITION_FAILED = { $ref: "#/components/responses/PreconditionFailed" };
const TOO_MANY = { $ref: "#/components/responses/TooManyRequests" };

/** The item paths whose GET answers an ETag and whose PATCH and DELETE take If-Match. */
const TAGGED_ITEMS = [
  "contacts",
  "companies",
  "deals",
  "tasks",
  "notes",
  "pipelines",
  "custom-fields",
  "segments",
];

interface Response {
  $ref?: string;
  description?: string;
  headers?: Record<string, object>;
  content?: object;
}
interface Operation {
  parameters?: object[];
  responses: Record<string, Response>;
}
type Paths = Record<string, Record<string, unknown>>;

function withHeaders(
  response: { headers?: Record<string, object> } | undefined,
  headers: Record<string, object>,
) {
  if (response) response.headers = { ...response.headers, ...headers };
}

/**
 * Adds the API-wide contract to the document's operations: ETag, If-None-Match (304) and
 * If-Match (412) on record items, RateLimit headers on successful answers and 429 on every
 * workspace operation; says in the description what cannot be an operation (405, the
 * query-parameter rule, unknown workspaces answered as wrong keys).
 */
export function documentApiContract(document: { info: { description: string }; paths: Paths }): void {
  document.info.description +=
    " A query parameter given twice is a 400 naming it, and so is any parameter on a write or on one record's path. A method a path does not take is a 405 with `Allow`. A workspace that does not exist answers 401 exactly as a wrong key does. Record GETs answer a strong `ETag`; PATCH and DELETE take `If-Match` (412 when stale). Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` while limits are on; past one, 429 with `Retry-After`.";
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith("/api/v1/t/")) continue;
    const tagged = TAGGED_ITEMS.some((kind) => path === `/api/v1/t/{tenant}/${kind}/{id}`);
    const stage = path === "/api/v1/t/{tenant}/stages/{id}";
    for (const [method, value] of Object.entries(item)) {
      if (method === "parameters") continue;
      const operation = value as Operation;
      const ok = operation.responses["200"] ?? operation.responses["201"] ?? operation.responses["204"];
      withHeaders(ok, RATE_LIMIT_HEADERS);
      operation.responses["429"] ??= TOO_MANY;
      if (tagged && method === "get") {
        operation.parameters = [...(operation.parameters ?? []), IF_NONE_MATCH];
        withHeaders(operation.responses["200"], ETAG);
        operation.responses["304"] = {
          description: "Not modified: If-None-Match names its ETag",
          headers: ETAG,
        };
      }
      if ((tagged || stage) && (method === "patch" || method === "delete")) {
        operation.parameters = [...(operation.parameters ?? []), stage ? IF_MATCH_STAGE : IF_MATCH];
        if (method === "patch") withHeaders(operation.responses["200"], ETAG);
        operation.responses["412"] = PRECONDITION_FAILED;
      }
    }
  }
}
