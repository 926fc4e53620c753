import { fieldInput, fieldPatchInput } from "../../custom-fields/manage-fields.ts";
import {
  errorResponses,
  idParameter,
  json,
  jsonBody,
  location,
  pageOf,
  ref,
  tenantParameter,
} from "./parts.ts";

// The OpenAPI document, part: Custom field definitions (src/custom-fields/api-routes.ts).

export const FIELD_403: [number, string] = [403, "Changing custom fields needs an admin or owner key"];

export function customFieldPaths() {
  const tag = ["Custom fields"];
  const field = ref("CustomField");
  return {
    "/api/v1/t/{tenant}/custom-fields": {
      parameters: [tenantParameter],
      get: {
        operationId: "listCustomFields",
        summary: "List the workspace's custom fields",
        description: "Contact, then company, then deal fields, each in their order; all on one page.",
        tags: tag,
        responses: {
          200: {
            description: "Every field",
            content: json(pageOf(field, { type: "null", description: "Always null: one page" })),
          },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: "createCustomField",
        summary: "Add a custom field",
        description:
          "`key` (lower-case letters, digits and _) names the field in `customFields`, in `cf=<key>:<value>` filters and in `sort=cf.<key>`; it never reaches SQL text. Selects and multiselects need `options`; at most 50 fields per kind of record. Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(fieldInput),
        responses: {
          201: { description: "Created", headers: location, content: json(field) },
          ...errorResponses(400, 401, FIELD_403, 404, 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/custom-fields/{id}": {
      parameters: [tenantParameter, idParameter("The field's id")],
      get: {
        operationId: "getCustomField",
        summary: "Get a custom field",
        tags: tag,
        responses: { 200: { description: "Found", content: json(field) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: "updateCustomField",
        summary: "Rename a custom field or change its options",
        description:
          "Values no longer among the options are cleared from every record. Its key and type never change. Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(fieldPatchInput),
        responses: {
          200: { description: "Changed", content: json(field) },
          ...errorResponses(400, 401, FIELD_403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deleteCustomField",
        summary: "Delete a custom field and every value of it",
        description: "Needs an admin or owner key.",
        tags: tag,
        responses: { 204: { description: "Deleted" }, ...errorResponses(401, FIELD_403, 404) },
      },
    },
  };
}
