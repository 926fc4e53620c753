import { SUBJECT_TYPES } from "../../interactions/kinds.ts";
import { activityInput } from "../../interactions/log-activity.ts";
import {
  dateTime,
  errorResponses,
  json,
  jsonBody,
  nullableString,
  pageOf,
  query,
  RECORD_SUBJECTS,
  ref,
  tenantParameter,
} from "./parts.ts";

// The OpenAPI document, part: Timelines and logged activities (src/interactions/api-routes.ts).

export const interactionSchema = {
  type: "object",
  required: ["id", "occurredAt", "kind", "subjectType", "subjectId", "actorType", "actorName", "payload"],
  properties: {
    id: { type: "integer", description: "Only ever grows" },
    occurredAt: dateTime,
    kind: {
      type: "string",
      description:
        "`<subject>.created` {name} (`deal.created` also {stage}), `<subject>.updated` {changes: {field: [old, new]}}, `<subject>.deleted` {name} (`company.deleted` also {contactsUnlinked}) for contact, company and deal; `contact.merged`, `company.merged` {mergedId, name}; `contact.erased` {}; `deal.stage_changed` {fromStageId, toStageId, from, to}; `deal.won` {stage}; `deal.lost` {stage, reason}; `call`, `meeting`, `email` {summary, direction?}; `note.created` {noteId}; `task.completed` {taskId, title}",
    },
    subjectType: { type: "string", enum: [...SUBJECT_TYPES] },
    subjectId: { type: "integer" },
    actorType: { type: "string", enum: ["user", "api_key", "system"] },
    actorName: { ...nullableString, description: "The user's or API key's name; null for the system" },
    payload: { type: "object", description: "Depends on `kind` (see there)" },
  },
};

export const subjectTypeParameter = (description: string, required: boolean) =>
  query("subjectType", { type: "string", enum: RECORD_SUBJECTS }, description, required);
export const subjectIdParameter = (description: string, required: boolean) =>
  query("subjectId", { type: "integer", minimum: 1 }, description, required);

export function interactionPaths() {
  const tag = ["Interactions"];
  return {
    "/api/v1/t/{tenant}/interactions": {
      parameters: [tenantParameter],
      get: {
        operationId: "listInteractions",
        summary: "A record's timeline",
        description:
          "Newest first. A contact's includes its deals'; a company's includes its people's and its deals'.",
        tags: tag,
        parameters: [
          subjectTypeParameter("What kind of record", true),
          subjectIdParameter("The record's id", true),
          query("cursor", { type: "integer", minimum: 1 }, "`nextCursor` from the previous (newer) page"),
          query(
            "history",
            { type: "string", enum: ["true", "false"] },
            "`true`: only changes to records (created, updated, deleted, merged, erased, stage changes, won, lost)",
          ),
          query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
        ],
        responses: {
          200: {
            description: "A page of the timeline",
            content: json(pageOf(ref("Interaction"))),
          },
          ...errorResponses(400, 401, [404, "No such workspace, or no such record in this workspace"]),
        },
      },
      post: {
        operationId: "logActivity",
        summary: "Log a call, meeting or email on a record",
        description: "`occurredAt` defaults to now and may not be more than a day ahead.",
        tags: tag,
        requestBody: jsonBody(activityInput),
        responses: {
          201: { description: "Logged", content: json(ref("Interaction")) },
          ...errorResponses(400, 401, 403, [404, "No such workspace, or no such subject"], 413, 415, 422),
        },
      },
    },
  };
}
