import { fieldInput, fieldPatchInput } from "../../custom-fields/manage-fields.ts";
import {
  collectionParameters,
  createOperation,
  deleteErrors,
  deleteOperation,
  getOperation,
  itemParameters,
  listOperation,
  onePageOf,
  writeErrors,
  writeOperation,
} from "./operations.ts";
import { bodySchema, json, jsonBody, ref } from "./parts.ts";
import { ONE_LINE, requires, whenField, withFieldRules } from "./schema-rules.ts";

// The OpenAPI document, part: Custom field definitions (src/custom-fields/api-routes.ts).

export const FIELD_403: [number, string] = [403, "Changing custom fields needs an admin or owner key"];

export function customFieldPaths() {
  const tags = ["Custom fields"];
  const field = ref("CustomField");
  const adminErrors = writeErrors(FIELD_403);
  return {
    "/api/v1/t/{tenant}/custom-fields": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "listCustomFields",
          summary: "List the workspace's custom fields",
          description: "Contact, then company, then deal fields, each in their order; all on one page.",
          tags,
        },
        undefined,
        { description: "Every field", schema: onePageOf(field) },
      ),
      post: createOperation(
        {
          operationId: "createCustomField",
          summary: "Add a custom field",
          description:
            "`key` (lower-case letters, digits and _) names the field in `customFields`, in `cf=<key>:<value>` filters and in `sort=cf.<key>`; it never reaches SQL text. Selects and multiselects need `options`; at most 50 fields per kind of record. Needs an admin or owner key.",
          tags,
        },
        {
          required: true,
          content: json({
            ...withFieldRules(bodySchema(fieldInput), { label: ONE_LINE }),
            // Selects and multiselects need options; other types take none.
            allOf: [
              whenField(
                "type",
                ["select", "multiselect"],
                { ...requires("options"), properties: { options: { type: "array", minItems: 1 } } },
                { properties: { options: { type: "array", maxItems: 0 } } },
              ),
            ],
          }),
        },
        field,
        adminErrors,
      ),
    },
    "/api/v1/t/{tenant}/custom-fields/{id}": {
      parameters: itemParameters("The field's id"),
      get: getOperation({ operationId: "getCustomField", summary: "Get a custom field", tags }, field),
      patch: writeOperation(
        {
          operationId: "updateCustomField",
          summary: "Rename a custom field or change its options",
          description:
            "Values no longer among the options are cleared from every record (a multiselect keeps its other options); each record that changes gets a `*.updated` entry in the changes feed and a new `updatedAt`. Its key and type never change. Needs an admin or owner key.",
          tags,
        },
        jsonBody(fieldPatchInput, { label: ONE_LINE }),
        { description: "Changed", schema: field },
        adminErrors,
      ),
      delete: deleteOperation(
        {
          operationId: "deleteCustomField",
          summary: "Delete a custom field and every value of it",
          description:
            "Each record that held a value gets a `*.updated` entry in the changes feed (`customFields.<key>: [old, null]`) and a new `updatedAt`. Needs an admin or owner key.",
          tags,
        },
        deleteErrors(FIELD_403),
      ),
    },
  };
}
