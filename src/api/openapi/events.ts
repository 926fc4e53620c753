import { EVENTS_MAX_BYTES, MAX_EVENTS_PER_REQUEST } from "../../events/event-limits.ts";
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from "../../idempotency/idempotency-key.ts";
import { EVENT_KINDS } from "../../interactions/kinds.ts";
import { collectionParameters } from "./operations.ts";
import { id, json } from "./parts.ts";
import { ANY_WRITE, problemResponses } from "./problems.ts";

// The OpenAPI document, part: Event ingest (src/events/api-routes.ts).

const text = (maxLength: number, description: string) => ({ type: "string", maxLength, description });

const eventSchema = {
  type: "object",
  required: ["type"],
  description:
    "One event about a contact, named by `contactId` or `email` (exact, in any case; when both are given they must be the same contact). Unknown fields are ignored.",
  properties: {
    type: { type: "string", enum: [...EVENT_KINDS], description: "Stored as the interaction's kind" },
    contactId: id,
    email: { type: "string", format: "email", maxLength: 254 },
    occurredAt: {
      type: ["string", "integer"],
      description:
        "ISO 8601 with a zone, or milliseconds since 1970 (msgpack: also a timestamp); at most 5 minutes ahead and 2 years old. Default: when the request arrived",
    },
    url: text(2048, "http(s) URL: the page visited or the link clicked"),
    referrer: text(2048, "http(s) URL"),
    title: text(300, "The page's title"),
    campaign: text(200, "The email or campaign"),
    form: text(200, "The form's name"),
  },
};

const answerSchema = {
  type: "object",
  required: ["stored", "rejected"],
  additionalProperties: false,
  properties: {
    stored: { type: "integer", minimum: 0, description: "Events stored (all in one transaction)" },
    rejected: {
      type: "array",
      description: "Each refused event (nothing of it stored), in batch order, with its first problem",
      items: {
        type: "object",
        required: ["index", "field", "message"],
        additionalProperties: false,
        properties: {
          index: { type: "integer", minimum: 0, description: "The event's position in the batch, from 0" },
          field: { type: "string", description: "`event` when the item is not an object" },
          message: { type: "string" },
        },
      },
    },
  },
};

export function eventPaths() {
  return {
    "/api/v1/t/{tenant}/events": {
      parameters: collectionParameters(),
      post: {
        operationId: "ingestEvents",
        summary: "Push a batch of events (web visits, email opens and clicks, form submissions)",
        description: `An array of up to ${MAX_EVENTS_PER_REQUEST.toLocaleString("en")} events as \`application/json\` or \`application/msgpack\` (body at most ${EVENTS_MAX_BYTES / 1024 / 1024} MiB). Each valid event whose contact is in this workspace is stored (with the contact's engagement summed up), all in one transaction; each other event is refused on its own (\`rejected\`): an unknown type, a contact not found by id or email, \`occurredAt\` outside the window, text too long or with control characters. With \`${IDEMPOTENCY_HEADER}\` a retry within 24 hours gets the first answer again (with \`${REPLAYED_HEADER}: true\`), storing nothing; a batch cut off before its commit (a crash, a dropped connection) stored nothing, and its retry with the same key stores it whole: each event is stored once. Without the key, a client that got no answer cannot tell whether its batch was stored.`,
        tags: ["Events"],
        parameters: [
          {
            name: IDEMPOTENCY_HEADER,
            in: "header",
            required: false,
            description:
              "1–255 printable ASCII characters (a UUID, say), new for each new batch and the same on its retries",
            schema: { type: "string", minLength: 1, maxLength: 255 },
          },
        ],
        requestBody: {
          required: true,
          content: {
            ...json({ type: "array", maxItems: MAX_EVENTS_PER_REQUEST, items: eventSchema }),
            "application/msgpack": {
              schema: { type: "array", maxItems: MAX_EVENTS_PER_REQUEST, items: eventSchema },
            },
          },
        },
        responses: {
          200: {
            description: "Stored what was valid; `rejected` names the rest",
            headers: {
              [REPLAYED_HEADER]: {
                description: `\`true\` when this is the stored answer of an earlier request with the same \`${IDEMPOTENCY_HEADER}\``,
                schema: { type: "string", enum: ["true"] },
              },
            },
            content: json(answerSchema),
          },
          ...problemResponses(
            ...ANY_WRITE,
            [400, `The body does not decode, is not an array, or \`${IDEMPOTENCY_HEADER}\` is malformed`],
            [403, "The key is read-only"],
            [409, `A request with this \`${IDEMPOTENCY_HEADER}\` is still being processed`],
            [
              413,
              `More than ${MAX_EVENTS_PER_REQUEST.toLocaleString("en")} events, or a body past ${EVENTS_MAX_BYTES / 1024 / 1024} MiB`,
            ],
            [415, "The body is neither application/json nor application/msgpack"],
            [422, `The \`${IDEMPOTENCY_HEADER}\` was used for a different request`],
          ),
        },
      },
    },
  };
}
