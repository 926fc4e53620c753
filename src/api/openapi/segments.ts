import { bulkActionInput, MAX_BULK_RECORDS } from "../../bulk/bulk-input.ts";
import { CONTACT_SORTS } from "../../contacts/list-contacts.ts";
import { EVENT_KINDS } from "../../interactions/kinds.ts";
import {
  MATCHES,
  MAX_DAYS,
  MAX_DEPTH,
  MAX_LIST_VALUES,
  MAX_RULES,
  MAX_TIMES,
  OPERATORS,
} from "../../segments/segment-rules.ts";
import { MAX_SEGMENTS } from "../../segments/segments.ts";
import { actionNeeds } from "./bulk.ts";
import {
  collectionParameters,
  createOperation,
  deleteOperation,
  getOperation,
  itemParameters,
  listOperation,
  onePageOf,
  readErrors,
  writeErrors,
  writeOperation,
} from "./operations.ts";
import { bodySchema, cursor, dateTime, id, json, query, ref, twoWayPageOf } from "./parts.ts";
import { ONE_LINE } from "./schema-rules.ts";

// The OpenAPI document, part: Segments (src/segments/api-routes.ts).

const RULES_422: [number, string] = [
  422,
  "A rule names a field contacts do not have, an operator that field does not take, an engagement rule's `kind` missing or not one of the four (`rules.0.kind`), or a value of the wrong type (`errors[].field` is the rule's path, e.g. `rules.1.value`); nothing is written",
];

const value = {
  description: `Absent for \`is_empty\`, \`is_not_empty\` and \`never\`; a whole number of days (1–${MAX_DAYS}) for \`in_last_days\` and \`none_in_last_days\`, of times (1–${MAX_TIMES}) for \`at_least\`; a list for \`in\`; a pair \`[from, to]\` for \`between\`; dates as \`YYYY-MM-DD\`; owners and stages by id; money in the workspace's currency (major units)`,
  oneOf: [
    { type: "string" },
    { type: "number" },
    { type: "boolean" },
    { type: "array", items: { type: ["string", "number"] }, maxItems: MAX_LIST_VALUES },
  ],
};

export const segmentSchemas = {
  SegmentRule: {
    description: "A rule on one field, or a group of rules",
    oneOf: [
      {
        type: "object",
        required: ["field", "op"],
        additionalProperties: false,
        properties: {
          field: {
            type: "string",
            description:
              "firstName, lastName, email, phone, title, company, owner, tags, createdAt, updatedAt, `cf.<key>` for a custom field, lastInteraction, openDeal, wonAmount, rfmSegment (the nightly RFM segment: equals, not_equals, in, is_empty, is_not_empty), churnRisk (the company's nightly churn risk, high, medium or low: equals, in) or engagement (pushed events of one `kind`: in_last_days, none_in_last_days — never included —, never, at_least)",
          },
          kind: {
            type: "string",
            enum: [...EVENT_KINDS],
            description: "Required by `engagement` rules only: which pushed events they count",
          },
          op: { type: "string", enum: [...OPERATORS] },
          value,
        },
      },
      {
        type: "object",
        required: ["match", "rules"],
        additionalProperties: false,
        properties: {
          match: { type: "string", enum: [...MATCHES] },
          rules: { type: "array", items: ref("SegmentRule"), minItems: 1 },
        },
      },
    ],
  },
  Segment: {
    type: "object",
    required: ["id", "name", "match", "rules", "createdAt", "updatedAt"],
    additionalProperties: false,
    properties: {
      id,
      name: { type: "string" },
      match: {
        type: "string",
        enum: [...MATCHES],
        description: "Whether a contact needs all or any of the rules",
      },
      rules: { type: "array", items: ref("SegmentRule") },
      createdAt: dateTime,
      updatedAt: dateTime,
    },
  },
};

const rulesBody = (required: string[]) => ({
  required: true,
  content: json({
    type: "object",
    required,
    properties: {
      name: { type: "string", minLength: 1, maxLength: 100, ...ONE_LINE },
      match: { type: "string", enum: [...MATCHES], default: "all" },
      rules: { type: "array", items: ref("SegmentRule") },
    },
  }),
});

export function segmentPaths() {
  const tags = ["Segments"];
  const segment = ref("Segment");
  return {
    "/api/v1/t/{tenant}/segments": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "listSegments",
          summary: "List the saved segments",
          description: "By name, on one page.",
          tags,
        },
        undefined,
        { description: "Every segment", schema: onePageOf(segment) },
      ),
      post: createOperation(
        {
          operationId: "createSegment",
          summary: "Save a segment",
          description: `A name and rules on contacts: each rule tests a field (custom fields as \`cf.<key>\`, never in SQL text) or an activity (\`lastInteraction\` with \`none_in_last_days\` or \`in_last_days\`, \`openDeal\` by stage id, \`wonAmount\` compared, \`engagement\` with a \`kind\` of pushed events: in or not in the last N days, never, at least N times); groups nest ${MAX_DEPTH} deep, at most ${MAX_RULES} rules, at most ${MAX_SEGMENTS} segments. No rules: every contact.`,
          tags,
        },
        rulesBody(["name"]),
        segment,
        writeErrors(RULES_422),
      ),
    },
    "/api/v1/t/{tenant}/segments/{id}": {
      parameters: itemParameters("The segment's id"),
      get: getOperation({ operationId: "getSegment", summary: "Get a segment", tags }, segment),
      patch: writeOperation(
        {
          operationId: "updateSegment",
          summary: "Rename a segment or replace its rules",
          description: "Only what is sent changes; `match` and `rules` replace the rules as a whole.",
          tags,
        },
        rulesBody([]),
        { description: "Updated", schema: segment },
        writeErrors(RULES_422),
      ),
      delete: deleteOperation({
        operationId: "deleteSegment",
        summary: "Delete a segment",
        description: "Its contacts stay as they are.",
        tags,
      }),
    },
    "/api/v1/t/{tenant}/segments/{id}/bulk": {
      parameters: itemParameters("The segment's id"),
      post: writeOperation(
        {
          operationId: "bulkChangeSegment",
          summary: "Change or delete every contact in a segment",
          description: `One action on the segment's members as they are now (at most ${MAX_BULK_RECORDS}), as \`POST /contacts/bulk\` does it: \`setOwner\` takes \`ownerId\` (null clears it), \`addTag\`/\`removeTag\` take \`tag\`. All in one transaction: one refused contact means nothing changes.`,
          tags,
        },
        { required: true, content: json({ ...bodySchema(bulkActionInput), allOf: actionNeeds }) },
        {
          description: "Done",
          schema: {
            type: "object",
            required: ["matched", "changed"],
            additionalProperties: false,
            properties: {
              matched: { type: "integer", minimum: 0, description: "Contacts in the segment" },
              changed: { type: "integer", minimum: 0, description: "Contacts that changed" },
            },
          },
        },
        writeErrors(
          [
            422,
            `A field is invalid, a contact refused the change, more than ${MAX_BULK_RECORDS} contacts are in the segment, or its rules no longer fit the workspace; nothing changed`,
          ],
          [504, "The change took too long and was stopped; nothing changed"],
        ),
      ),
    },
    "/api/v1/t/{tenant}/segments/{id}/members": {
      parameters: itemParameters("The segment's id"),
      get: listOperation(
        {
          operationId: "listSegmentMembers",
          summary: "The contacts in a segment now",
          description:
            "Counted and listed in the worker pool from the rules as they are now; cached until the workspace's next write. Pages like the contacts list. A segment whose rules no longer fit the workspace (a custom field removed) is a 422 naming the rule.",
          tags,
        },
        [
          query(
            "sort",
            { type: "string", enum: Object.keys(CONTACT_SORTS), default: "createdAt" },
            "Sort field",
          ),
          query("order", { type: "string", enum: ["asc", "desc"] }, "Default: desc, or asc for name"),
          query(
            "cursor",
            cursor,
            "`nextCursor` (the next page) or `prevCursor` (the page before) of the page in hand",
          ),
          query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
        ],
        {
          description: "A page of its contacts, and how many it holds",
          schema: (() => {
            const page = twoWayPageOf(ref("Contact"));
            return {
              ...page,
              required: [...page.required, "total"],
              properties: { ...page.properties, total: { type: "integer", minimum: 0 } },
            };
          })(),
        },
        readErrors(
          [
            422,
            "The segment's rules no longer fit the workspace (a custom field removed); `errors` names the rule",
          ],
          [504, "Counting the members took too long and was stopped"],
        ),
      ),
    },
  };
}
