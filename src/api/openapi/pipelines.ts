import { pipelineInput, stageInput, stagePatchInput } from "../../pipelines/manage-pipelines.ts";
import { STAGE_KINDS } from "../../pipelines/schema.ts";
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
import { id, jsonBody, ref } from "./parts.ts";
import { ONE_LINE } from "./schema-rules.ts";

// The OpenAPI document, part: Pipelines and their stages (src/pipelines/api-routes.ts).

export const stageKind = { type: "string", enum: [...STAGE_KINDS] };

export const stageSchema = {
  type: "object",
  required: ["id", "name", "position", "probability", "kind"],
  additionalProperties: false,
  properties: {
    id,
    name: { type: "string" },
    position: { type: "integer", minimum: 0, description: "0-based, in board order" },
    probability: { type: "integer", minimum: 0, maximum: 100, description: "Chance of winning, in percent" },
    kind: { ...stageKind, description: "What reaching the stage means for a deal" },
  },
};

export const pipelineSchema = {
  type: "object",
  required: ["id", "name", "position", "stages"],
  additionalProperties: false,
  properties: {
    id,
    name: { type: "string" },
    position: { type: "integer", minimum: 0 },
    stages: { type: "array", items: ref("Stage"), description: "In order" },
  },
};

export const ADMIN_403: [number, string] = [403, "Changing pipelines needs an admin or owner key"];

export function pipelinePaths() {
  const tag = ["Pipelines"];
  const pipeline = ref("Pipeline");
  const adminErrors = writeErrors(ADMIN_403);
  return {
    "/api/v1/t/{tenant}/pipelines": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "listPipelines",
          summary: "List pipelines with their stages",
          description: "Every pipeline, in order, each with its ordered stages; all on one page.",
          tags: tag,
        },
        undefined,
        { description: "Every pipeline", schema: onePageOf(pipeline) },
      ),
      post: createOperation(
        {
          operationId: "createPipeline",
          summary: "Create a pipeline",
          description:
            "Without `stages` it gets New, In progress, Won and Lost. Names are unique (case-insensitive). Needs an admin or owner key.",
          tags: tag,
        },
        jsonBody(pipelineInput, { name: ONE_LINE }),
        pipeline,
        adminErrors,
      ),
    },
    "/api/v1/t/{tenant}/pipelines/{id}": {
      parameters: itemParameters("The pipeline's id"),
      get: getOperation(
        { operationId: "getPipeline", summary: "Get a pipeline with its stages", tags: tag },
        pipeline,
      ),
      patch: writeOperation(
        {
          operationId: "renamePipeline",
          summary: "Rename a pipeline",
          description: "Needs an admin or owner key.",
          tags: tag,
        },
        jsonBody(pipelineInput.pick({ name: true }), { name: ONE_LINE }),
        { description: "Renamed", schema: pipeline },
        adminErrors,
      ),
      delete: deleteOperation(
        {
          operationId: "deletePipeline",
          summary: "Delete a pipeline",
          description:
            "Only a pipeline without deals (move or delete them first), and never the last one. Needs an admin or owner key.",
          tags: tag,
        },
        deleteErrors(ADMIN_403, [
          422,
          "The pipeline still has deals, or it is the only pipeline (`errors` names `pipeline`)",
        ]),
      ),
    },
    "/api/v1/t/{tenant}/pipelines/{id}/stages": {
      parameters: itemParameters("The pipeline's id"),
      post: writeOperation(
        {
          operationId: "addStage",
          summary: "Add a stage to a pipeline",
          description:
            "An open stage goes before the pipeline's won and lost stages, a won or lost one at the end; at most 20 stages. Needs an admin or owner key.",
          tags: tag,
        },
        jsonBody(stageInput, { name: ONE_LINE }),
        { status: 201, description: "The pipeline with the new stage", schema: pipeline },
        adminErrors,
      ),
    },
    "/api/v1/t/{tenant}/stages/{id}": {
      parameters: itemParameters("The stage's id"),
      patch: writeOperation(
        {
          operationId: "updateStage",
          summary: "Change a stage",
          description:
            "Name, probability, kind (the deals in it take the new status, and `closedAt` as a move into such a stage sets it; each deal gets a `deal.updated` entry in the changes feed and a new `updatedAt`) and position (the other stages shift to make room). Needs an admin or owner key.",
          tags: tag,
        },
        jsonBody(stagePatchInput, { name: ONE_LINE }),
        { description: "The stage's pipeline", schema: pipeline },
        adminErrors,
      ),
      delete: deleteOperation(
        {
          operationId: "deleteStage",
          summary: "Delete a stage",
          description:
            "Only a stage without deals (move them first), and never a pipeline's only stage. Needs an admin or owner key.",
          tags: tag,
        },
        deleteErrors(ADMIN_403, [
          422,
          "The stage still has deals, or it is its pipeline's only stage (`errors` names `stageId`)",
        ]),
      ),
    },
  };
}
