import { BATCH_MATCHES, BATCH_MODES, MAX_BATCH_ITEMS } from "../../batch/batch-write.ts";
import { EXTERNAL_ID_MAX } from "../../records/external-id.ts";
import { collectionParameters, writeErrors, writeOperation } from "./operations.ts";
import { json, problem, query, ref } from "./parts.ts";
import { problemResponses } from "./problems.ts";
import { closed } from "./schema-rules.ts";

// The OpenAPI document, part: retries, upsert and batches — `externalId` and the exact filters
// on contacts, companies and deals, POST /<kind>/batch (src/records/record-batch-routes.ts), and
// the Idempotency-Key every POST takes (src/idempotency/idempotency-middleware.ts).

/** `externalId` in a contact's, company's or deal's answer. */
export const externalIdProperty = {
  externalId: {
    type: ["string", "null"],
    maxLength: EXTERNAL_ID_MAX,
    description:
      "The id another system knows this record by: unique among this workspace's records of this kind (a clash is a 422 naming `externalId`), exact (no trimming or case folding); null when unset",
  },
};

const externalIdFilter = query(
  "externalId",
  { type: "string", minLength: 1, maxLength: EXTERNAL_ID_MAX },
  "Only the record with exactly this externalId (case-sensitive)",
);

/** The exact-match list filters of each kind (beside its other parameters). */
export const exactFilters = {
  contacts: [
    query(
      "email",
      { type: "string", maxLength: 254 },
      "Only contacts with exactly this email, ignoring case (never a prefix: `q=` searches)",
    ),
    externalIdFilter,
  ],
  companies: [
    query("domain", { type: "string", maxLength: 253 }, "Only companies with exactly this domain"),
    externalIdFilter,
  ],
  deals: [externalIdFilter],
};

const itemResult = closed({
  type: "object",
  required: ["index", "status"],
  properties: {
    index: { type: "integer", description: "The item's position in `items`" },
    status: {
      type: "integer",
      description:
        "201 created, 200 updated or unchanged; when the batch is refused: the item's own refusal (422, 404, 409), or 424 for an item that was fine but not written",
    },
    id: { type: "integer", format: "int64", description: "The record's id, once written or matched" },
    action: {
      type: "string",
      enum: ["created", "updated", "unchanged"],
      description: "What happened to the item, when it was written",
    },
    errors: {
      type: "array",
      description: "The item's own refusal (`field` within the item)",
      items: {
        type: "object",
        required: ["field", "message"],
        properties: { field: { type: "string" }, message: { type: "string" } },
      },
    },
  },
});

/** The 422 of a refused batch: a problem with every item's result. */
const batchProblemSchema = {
  ...problem,
  properties: {
    ...problem.properties,
    results: {
      type: "array",
      items: itemResult,
      description: "When an item was refused (not when the envelope itself is invalid): every item's outcome",
    },
  },
};

const REFUSED_BATCH = `The envelope is invalid (more than ${MAX_BATCH_ITEMS} items, an unknown mode or matchOn), or an item was refused: then \`results\` gives every item's outcome and \`errors\` names \`items.<index>.<field>\`. Nothing was written`;

/** POST /<path>/batch: create, update or upsert up to MAX_BATCH_ITEMS records in one transaction. */
export function batchPath(
  path: "contacts" | "companies" | "deals",
  nouns: string,
  schema: string,
  create: string,
) {
  const matches = BATCH_MATCHES[path];
  const post = writeOperation(
    {
      operationId: `batchWrite${nouns}`,
      summary: `Create, update or upsert up to ${MAX_BATCH_ITEMS} ${path} at once`,
      description: `All items in ONE transaction, in order, each through the same service (checks and timeline entry) as a single create or PATCH. \`mode\`: \`create\` (every item is new), \`update\` (every item must match an existing record), \`upsert\` (update the match, else create). \`matchOn\` (${matches.map((m) => `\`${m}\``).join(", ")}; default \`id\` for update, \`externalId\` for upsert) names the item field that finds the existing record${path === "contacts" ? " (`email`: exact, ignoring case; several contacts with it is a 409 item)" : ""}. Each item is a ${create} body (an update takes only the fields sent). If any item is refused, nothing is written and the answer is a 422 whose \`results\` give every item's outcome. Takes an Idempotency-Key like every POST.`,
      tags: [nouns],
    },
    {
      required: true,
      content: json({
        type: "object",
        required: ["mode", "items"],
        properties: {
          mode: { type: "string", enum: [...BATCH_MODES] },
          matchOn: { type: "string", enum: [...matches] },
          items: {
            type: "array",
            minItems: 1,
            maxItems: MAX_BATCH_ITEMS,
            items: { type: "object", description: `A ${create} body (with \`id\` when matching on id)` },
          },
        },
      }),
    },
    {
      description: "Every item written: its result and its record, in item order",
      schema: {
        type: "object",
        required: ["results", "data"],
        additionalProperties: false,
        properties: {
          results: { type: "array", items: itemResult },
          data: { type: "array", items: ref(schema) },
        },
      },
    },
    writeErrors([413, "The body is larger than the limit (nothing written)"]),
  );
  const responses = post.responses as Record<number, object>;
  responses[422] = {
    description: REFUSED_BATCH,
    content: { "application/problem+json": { schema: batchProblemSchema } },
  };
  return { [`/api/v1/t/{tenant}/${path}/batch`]: { parameters: collectionParameters(), post } };
}

const IDEMPOTENCY_PARAMETER = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
  description:
    "Makes a retry safe: a request sent again within 24 hours with the same key (per API key) and the same body gets the first answer (status, body, Location) with `Idempotency-Replayed: true`, and nothing is written again. The same key with another body or URL is a 422; while the first request is still running, a 409. A refused request (4xx) stores nothing, so its key can be sent again with a corrected body.",
};

/**
 * Every POST in `paths` documented with the Idempotency-Key header, the `Idempotency-Replayed`
 * header of a replayed answer, and the 409 of a key still in flight (operations that document
 * their own key, like the events ingest, are left as they are).
 */
export function withIdempotencyKeys<P extends Record<string, object>>(paths: P): P {
  for (const item of Object.values(paths) as { post?: Record<string, unknown> }[]) {
    const post = item.post;
    if (!post) continue;
    const parameters = (post.parameters as { name: string }[] | undefined) ?? [];
    if (parameters.some((p) => p.name === IDEMPOTENCY_PARAMETER.name)) continue;
    post.parameters = [...parameters, IDEMPOTENCY_PARAMETER];
    const responses = post.responses as Record<string, { headers?: object }>;
    for (const [status, response] of Object.entries(responses)) {
      if (!status.startsWith("2")) continue;
      response.headers = {
        ...response.headers,
        "Idempotency-Replayed": {
          description: "`true` when this is the stored answer of an earlier request with the same key",
          schema: { type: "string", enum: ["true"] },
        },
      };
    }
    Object.assign(
      responses,
      problemResponses([
        409,
        "A request with the same Idempotency-Key is still being processed; retry shortly",
      ]),
    );
  }
  return paths;
}
