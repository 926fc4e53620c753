import { bulkActionInput, MAX_BULK_RECORDS } from "../../bulk/bulk-input.ts";
import { collectionParameters, writeErrors, writeOperation } from "./operations.ts";
import { bodySchema, id, json } from "./parts.ts";
import { requires, whenField } from "./schema-rules.ts";

// The OpenAPI document, part: Bulk changes (src/bulk/api-routes.ts).

/** What each action needs besides itself (bulkActionInput's refinement), as JSON Schema. */
export const actionNeeds = [
  whenField("action", ["setOwner"], requires("ownerId")),
  whenField("action", ["addTag", "removeTag"], requires("tag")),
  whenField("action", ["moveStage"], requires("stageId")),
];

export function bulkPath(path: string, nouns: string) {
  const action = bodySchema(bulkActionInput) as { properties?: Record<string, unknown>; required?: string[] };
  return {
    [`/api/v1/t/{tenant}/${path}/bulk`]: {
      parameters: collectionParameters(),
      post: writeOperation(
        {
          operationId: `bulkChange${nouns}`,
          summary: `Change or delete many ${path} at once`,
          description: `One action on a selection (\`ids\`) or on every ${path.slice(0, -1) === "companie" ? "company" : path.slice(0, -1)} a list filter matches (\`filter\`: the list endpoint's query parameters, e.g. {"tag": "lead"}; at most ${MAX_BULK_RECORDS}). \`setOwner\` takes \`ownerId\` (null clears it), \`addTag\`/\`removeTag\` take \`tag\`${path === "deals" ? ", `moveStage` takes `stageId` (a stage of each deal's own pipeline)" : ""}. Each record changes through the same service as a single PATCH or DELETE and is logged the same way; everything happens in one transaction, so one refused record means nothing changes.`,
          tags: [nouns],
        },
        {
          required: true,
          content: json({
            type: "object",
            required: action.required,
            properties: {
              ...action.properties,
              ids: {
                type: "array",
                items: id,
                minItems: 1,
                maxItems: MAX_BULK_RECORDS,
                description: "The chosen records (or send `filter`)",
              },
              filter: {
                type: "object",
                additionalProperties: { type: "string" },
                description: "The list endpoint's query parameters (or send `ids`)",
              },
            },
            oneOf: [
              { ...requires("ids"), not: requires("filter") },
              { ...requires("filter"), not: requires("ids") },
            ],
            allOf: actionNeeds,
          }),
        },
        {
          description: "Done",
          schema: {
            type: "object",
            required: ["matched", "changed"],
            additionalProperties: false,
            properties: {
              matched: { type: "integer", minimum: 0, description: "Records chosen" },
              changed: {
                type: "integer",
                minimum: 0,
                description: "Records that changed (adding a tag a record has changes nothing)",
              },
            },
          },
        },
        writeErrors(
          [400, "Malformed JSON, or a filter parameter outside the list's allow-list"],
          [404, "A selected id is not in this workspace (nothing changed)"],
          [
            422,
            `A field is invalid, \`ids\` and \`filter\` are both sent or neither, a record refused the change, or the filter matches more than ${MAX_BULK_RECORDS} records; nothing changed`,
          ],
          [504, "The change took too long and was stopped; nothing changed"],
        ),
      ),
    },
  };
}
