import { webhookInput, webhookPatch } from "../../webhooks/manage-webhooks.ts";
import {
  collectionParameters,
  createOperation,
  deleteErrors,
  deleteOperation,
  getOperation,
  itemParameters,
  listOperation,
  onePageOf,
  readErrors,
  writeErrors,
  writeOperation,
} from "./operations.ts";
import { dateTime, id, json, jsonBody, nullableDateTime, nullableString, ref } from "./parts.ts";
import { problemResponses } from "./problems.ts";
import { closed } from "./schema-rules.ts";

// The OpenAPI document, part: webhook subscriptions and their delivery logs (src/webhooks/api-routes.ts).

const webhookProperties = {
  id,
  url: { type: "string", format: "uri", description: "Where deliveries are POSTed" },
  events: {
    type: "array",
    items: { type: "string" },
    description: 'Event kinds: exact ("contact.created"), one object\'s ("deal.*") or all ("*")',
  },
  enabled: { type: "boolean" },
  failures: {
    type: "integer",
    description: "Failed attempts at the change being delivered (0 when healthy)",
  },
  nextAttemptAt: { ...nullableDateTime, description: "When a failed delivery is tried again" },
  disabledReason: {
    ...nullableString,
    description: "Why deliveries stopped (retries ran out); cleared by enabling the webhook again",
  },
  disabledAt: nullableDateTime,
  createdAt: dateTime,
  updatedAt: dateTime,
};

const REQUIRED = Object.keys(webhookProperties);

export const webhookSchemas = {
  Webhook: closed({ type: "object", required: REQUIRED, properties: webhookProperties }),
  WebhookWithSecret: closed({
    type: "object",
    required: [...REQUIRED, "secret"],
    properties: {
      ...webhookProperties,
      secret: {
        type: "string",
        description: "Signs every delivery (CRM-Signature); shown only in this answer",
      },
    },
  }),
  WebhookDelivery: closed({
    type: "object",
    required: [
      "id",
      "changeId",
      "eventType",
      "attempt",
      "attemptedAt",
      "ok",
      "statusCode",
      "durationMs",
      "error",
      "nextAttemptAt",
    ],
    properties: {
      id,
      changeId: { type: "string", description: "The change's id, sent as CRM-Event-Id" },
      eventType: { type: "string" },
      attempt: { type: "integer", description: "1 for the first try of this change" },
      attemptedAt: dateTime,
      ok: { type: "boolean", description: "The receiver answered 2xx" },
      statusCode: {
        type: ["integer", "null"],
        description: "null: no answer (timeout, refused address, connection error)",
      },
      durationMs: { type: "integer" },
      error: nullableString,
      nextAttemptAt: {
        ...nullableDateTime,
        description: "When it is tried again; null once delivered or given up",
      },
    },
  }),
};

const ADMIN_403: [number, string] = [403, "Webhooks need an admin or owner key (reads too)"];
const URL_422: [number, string] = [
  422,
  "A field broke a rule; `url` is refused when it is not https (unless the operator allows http) or resolves to a loopback, private, link-local, CGNAT, multicast or metadata address (unless the operator allows private targets)",
];

export function webhookPaths() {
  const tag = ["Webhooks"];
  const webhook = ref("Webhook");
  const withSecret = ref("WebhookWithSecret");
  const errors = writeErrors(ADMIN_403, URL_422);
  return {
    "/api/v1/t/{tenant}/webhooks": {
      parameters: collectionParameters(),
      get: listOperation(
        { operationId: "listWebhooks", summary: "List webhook subscriptions", tags: tag },
        undefined,
        { description: "Every subscription (at most 20)", schema: onePageOf(webhook) },
        readErrors(ADMIN_403),
      ),
      post: createOperation(
        {
          operationId: "createWebhook",
          summary: "Subscribe a URL to event kinds",
          description:
            "Deliveries start with the next change. The answer carries the signing `secret`, never shown again (rotate it to get a new one). Needs an admin or owner key.",
          tags: tag,
        },
        jsonBody(webhookInput),
        withSecret,
        errors,
      ),
    },
    "/api/v1/t/{tenant}/webhooks/{id}": {
      parameters: itemParameters("The webhook's id"),
      get: getOperation(
        { operationId: "getWebhook", summary: "Get a webhook subscription", tags: tag },
        webhook,
        readErrors(ADMIN_403),
      ),
      patch: writeOperation(
        {
          operationId: "updateWebhook",
          summary: "Change a webhook subscription",
          description:
            "Only what is given changes. `enabled: true` on a webhook disabled after failures clears them: the change that failed is sent again first.",
          tags: tag,
        },
        jsonBody(webhookPatch),
        { description: "Changed", schema: webhook },
        errors,
      ),
      delete: deleteOperation(
        {
          operationId: "deleteWebhook",
          summary: "Delete a webhook subscription and its delivery log",
          tags: tag,
        },
        deleteErrors(ADMIN_403),
      ),
    },
    "/api/v1/t/{tenant}/webhooks/{id}/secret": {
      parameters: itemParameters("The webhook's id"),
      // No body: the problems of a body-less write, as a DELETE's.
      post: {
        operationId: "rotateWebhookSecret",
        summary: "Rotate a webhook's signing secret",
        description:
          "The old secret stops signing at once; the answer carries the new one, shown only this once.",
        tags: tag,
        responses: {
          200: { description: "Rotated", content: json(withSecret) },
          ...problemResponses(...deleteErrors(ADMIN_403)),
        },
      },
    },
    "/api/v1/t/{tenant}/webhooks/{id}/deliveries": {
      parameters: itemParameters("The webhook's id"),
      get: listOperation(
        {
          operationId: "listWebhookDeliveries",
          summary: "A webhook's delivery log",
          description: "Every attempt, newest first: the newest 200 per webhook are kept, all on one page.",
          tags: tag,
        },
        undefined,
        { description: "Every attempt kept", schema: onePageOf(ref("WebhookDelivery")) },
        readErrors(ADMIN_403),
      ),
    },
  };
}
