import { pipelineInput, stageInput, stagePatchInput } from "../../pipelines/manage-pipelines.ts";
import { STAGE_KINDS } from "../../pipelines/schema.ts";
import {
  customFields,
  errorResponses,
  idParameter,
  json,
  jsonBody,
  location,
  nullableDateTime,
  nullableId,
  nullableString,
  pageOf,
  query,
  ref,
  tags,
  tenantParameter,
  timestamps,
} from "./parts.ts";

// The OpenAPI document, part: Deals, pipelines and stages (src/deals/api-routes.ts).

export const stageKind = { type: "string", enum: [...STAGE_KINDS] };

export const dealSchema = {
  type: "object",
  required: [
    "id",
    "title",
    "amountCents",
    "currency",
    "expectedCloseOn",
    "pipelineId",
    "stageId",
    "status",
    "lostReason",
    "closedAt",
    "companyId",
    "ownerId",
    "contactIds",
    "tags",
    "createdAt",
    "updatedAt",
    "customFields",
  ],
  properties: {
    id: { type: "integer" },
    title: { type: "string" },
    amountCents: { type: "integer", description: "In the currency's minor unit (cents for USD)" },
    currency: { type: "string", description: "ISO 4217 code, e.g. USD" },
    expectedCloseOn: { type: ["string", "null"], format: "date" },
    pipelineId: { type: "integer" },
    stageId: { type: "integer" },
    status: { ...stageKind, description: "The kind of the deal's stage" },
    lostReason: { ...nullableString, description: "Only on a lost deal" },
    closedAt: { ...nullableDateTime, description: "When it reached a won or lost stage; null while open" },
    companyId: nullableId,
    ownerId: nullableId,
    contactIds: { type: "array", items: { type: "integer" }, description: "The people on the deal, by id" },
    tags,
    ...timestamps,
    customFields,
  },
};

export const stageSchema = {
  type: "object",
  required: ["id", "name", "position", "probability", "kind"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    position: { type: "integer", description: "0-based, in board order" },
    probability: { type: "integer", minimum: 0, maximum: 100, description: "Chance of winning, in percent" },
    kind: { ...stageKind, description: "What reaching the stage means for a deal" },
  },
};

export const pipelineSchema = {
  type: "object",
  required: ["id", "name", "position", "stages"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    position: { type: "integer" },
    stages: { type: "array", items: ref("Stage"), description: "In order" },
  },
};

export const dealExtraParameters = [
  query("pipelineId", { type: "integer", minimum: 1 }, "Only deals in this pipeline"),
  query("stageId", { type: "integer", minimum: 1 }, "Only deals in this stage"),
  query("status", stageKind, "Only open, won or lost deals"),
  query("companyId", { type: "integer", minimum: 1 }, "Only deals with this company"),
  query("contactId", { type: "integer", minimum: 1 }, "Only deals this person is on"),
];

export const ADMIN_403: [number, string] = [403, "Changing pipelines needs an admin or owner key"];

export function pipelinePaths() {
  const tag = ["Pipelines"];
  const pipeline = ref("Pipeline");
  return {
    "/api/v1/t/{tenant}/pipelines": {
      parameters: [tenantParameter],
      get: {
        operationId: "listPipelines",
        summary: "List pipelines with their stages",
        description: "Every pipeline, in order, each with its ordered stages; all on one page.",
        tags: tag,
        responses: {
          200: {
            description: "Every pipeline",
            content: json(pageOf(pipeline, { type: "null", description: "Always null: one page" })),
          },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: "createPipeline",
        summary: "Create a pipeline",
        description:
          "Without `stages` it gets New, In progress, Won and Lost. Names are unique (case-insensitive). Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(pipelineInput),
        responses: {
          201: { description: "Created", headers: location, content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/pipelines/{id}": {
      parameters: [tenantParameter, idParameter("The pipeline's id")],
      get: {
        operationId: "getPipeline",
        summary: "Get a pipeline with its stages",
        tags: tag,
        responses: { 200: { description: "Found", content: json(pipeline) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: "renamePipeline",
        summary: "Rename a pipeline",
        description: "Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(pipelineInput.pick({ name: true })),
        responses: {
          200: { description: "Renamed", content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deletePipeline",
        summary: "Delete a pipeline",
        description:
          "Only a pipeline without deals (move or delete them first), and never the last one. Needs an admin or owner key.",
        tags: tag,
        responses: {
          204: { description: "Deleted" },
          ...errorResponses(401, ADMIN_403, 404, [
            422,
            "The pipeline still has deals, or it is the only pipeline (`errors` names `pipeline`)",
          ]),
        },
      },
    },
    "/api/v1/t/{tenant}/pipelines/{id}/stages": {
      parameters: [tenantParameter, idParameter("The pipeline's id")],
      post: {
        operationId: "addStage",
        summary: "Add a stage to a pipeline",
        description:
          "An open stage goes before the pipeline's won and lost stages, a won or lost one at the end; at most 20 stages. Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(stageInput),
        responses: {
          201: { description: "The pipeline with the new stage", content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/stages/{id}": {
      parameters: [tenantParameter, idParameter("The stage's id")],
      patch: {
        operationId: "updateStage",
        summary: "Change a stage",
        description:
          "Name, probability, kind (the deals in it take the new status) and position (the other stages shift to make room). Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(stagePatchInput),
        responses: {
          200: { description: "The stage's pipeline", content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deleteStage",
        summary: "Delete a stage",
        description:
          "Only a stage without deals (move them first), and never a pipeline's only stage. Needs an admin or owner key.",
        tags: tag,
        responses: {
          204: { description: "Deleted" },
          ...errorResponses(401, ADMIN_403, 404, [
            422,
            "The stage still has deals, or it is its pipeline's only stage (`errors` names `stageId`)",
          ]),
        },
      },
    },
  };
}
