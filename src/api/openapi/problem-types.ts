import { PROBLEM_KINDS, problemTypeUri } from "../../core/problem-types.ts";
import { json } from "./parts.ts";
import { problemResponses } from "./problems.ts";

// The OpenAPI document, part: /api/v1/problems, where each problem+json `type` leads
// (src/api/problem-routes.ts).

/** One kind of problem, as its `type` URI answers it. */
export const problemTypeSchema = {
  type: "object",
  required: ["type", "kind", "status", "title", "description"],
  additionalProperties: false,
  properties: {
    type: { type: "string", enum: PROBLEM_KINDS.map((k) => problemTypeUri(k.kind)) },
    kind: { type: "string", enum: PROBLEM_KINDS.map((k) => k.kind) },
    status: { type: "integer", enum: PROBLEM_KINDS.map((k) => k.status) },
    title: { type: "string" },
    description: { type: "string" },
  },
};

const kindParameter = {
  name: "kind",
  in: "path",
  required: true,
  schema: { type: "string", enum: PROBLEM_KINDS.map((k) => k.kind) },
  description: "The last segment of a problem's `type`",
};

export function problemTypePaths() {
  const tags = ["Meta"];
  const one = { $ref: "#/components/schemas/ProblemType" };
  return {
    "/api/v1/problems": {
      get: {
        operationId: "listProblemTypes",
        summary: "Every kind of problem the API answers with",
        tags,
        security: [],
        responses: {
          200: {
            description: "Every kind, in status order",
            content: json({
              type: "object",
              required: ["data"],
              additionalProperties: false,
              properties: { data: { type: "array", items: one } },
            }),
          },
          ...problemResponses(429, 431, 500),
        },
      },
    },
    "/api/v1/problems/{kind}": {
      parameters: [kindParameter],
      get: {
        operationId: "getProblemType",
        summary: "What one kind of problem means",
        description: "Where a problem's `type` leads.",
        tags,
        security: [],
        responses: {
          200: { description: "The kind", content: json(one) },
          ...problemResponses([404, "No such kind of problem"], 429, 431, 500),
        },
      },
    },
  };
}
