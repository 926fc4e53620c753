import { collectionParameters, listOperation } from "./operations.ts";
import { id, nullableString, query, RECORD_SUBJECTS, ref } from "./parts.ts";

// The OpenAPI document, part: Search (src/search/api-routes.ts).

export const searchHitSchema = {
  type: "object",
  required: ["type", "id", "title", "detail"],
  additionalProperties: false,
  properties: {
    type: { type: "string", enum: ["contact", "company", "deal", "note"] },
    id,
    title: {
      type: "string",
      description:
        "A contact's name, a company's name, a deal's title; for a note, a snippet with each match in [ and ]",
    },
    detail: {
      ...nullableString,
      description: "A contact's email, title or company; a company's domain or city; a deal's stage",
    },
    subjectType: { type: "string", enum: RECORD_SUBJECTS, description: "Notes only: the record it is on" },
    subjectId: { ...id, description: "Notes only: the record it is on" },
  },
};

export function searchPaths() {
  const hits = { type: "array", items: ref("SearchHit") };
  return {
    "/api/v1/t/{tenant}/search": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "search",
          summary: "Search contacts, companies, deals and notes",
          description:
            "Best matches first within each kind, every word a prefix. A query with fewer than two letters or digits finds nothing.",
          tags: ["Search"],
        },
        [
          query("q", { type: "string", maxLength: 200 }, "What to look for", true),
          query("limit", { type: "integer", minimum: 1, maximum: 50, default: 10 }, "Matches per kind"),
        ],
        {
          description: "The matches, by kind",
          schema: {
            type: "object",
            required: ["contact", "company", "deal", "note"],
            additionalProperties: false,
            properties: { contact: hits, company: hits, deal: hits, note: hits },
          },
        },
      ),
    },
  };
}
