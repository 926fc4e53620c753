import { SUBJECT_TYPES } from "../../interactions/kinds.ts";
import { activityInput } from "../../interactions/log-activity.ts";
import {
  collectionParameters,
  listOperation,
  readErrors,
  writeErrors,
  writeOperation,
} from "./operations.ts";
import {
  cursor,
  dateTime,
  id,
  jsonBody,
  nullableString,
  pageOf,
  query,
  RECORD_SUBJECTS,
  ref,
} from "./parts.ts";
import { ONE_LINE } from "./schema-rules.ts";

// The OpenAPI document, part: Timelines and logged activities (src/interactions/api-routes.ts).

export const interactionSchema = {
  type: "object",
  required: ["id", "occurredAt", "kind", "subjectType", "subjectId", "actorType", "actorName", "payload"],
  additionalProperties: false,
  properties: {
    id: { ...id, description: "Only ever grows" },
    occurredAt: dateTime,
    kind: {
      type: "string",
      description:
        "`<subject>.created` {name} (`deal.created` also {stage}), `<subject>.updated` {changes: {field: [old, new]}}, `<subject>.deleted` {name} (`company.deleted` also {contactsUnlinked}) for contact, company and deal; `contact.merged`, `company.merged` {mergedId, name}; `contact.erased` {}; `deal.stage_changed` {fromStageId, toStageId, from, to}; `deal.won` {stage}; `deal.lost` {stage, reason}; `call`, `meeting`, `email` {summary, direction?}; `activity.updated`, `activity.deleted` {activityId, kind} (a logged call, meeting or email corrected in place or removed); `note.created`, `note.updated`, `note.deleted` {noteId}; `task.completed`, `task.deleted` {taskId, title}",
    },
    subjectType: { type: "string", enum: [...SUBJECT_TYPES] },
    subjectId: id,
    actorType: { type: "string", enum: ["user", "api_key", "system"] },
    actorName: { ...nullableString, description: "The user's or API key's name; null for the system" },
    payload: { type: "object", description: "Depends on `kind` (see there)" },
  },
};

export const subjectTypeParameter = (description: string, required: boolean) =>
  query("subjectType", { type: "string", enum: RECORD_SUBJECTS }, description, required);
export const subjectIdParameter = (description: string, required: boolean) =>
  query("subjectId", id, description, required);

/** A 404 for a write that names its record: the record must be in this workspace. */
export const NO_SUBJECT: [number, string] = [404, "The subject is not in this workspace"];

export function interactionPaths() {
  const tags = ["Interactions"];
  return {
    "/api/v1/t/{tenant}/interactions": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "listInteractions",
          summary: "A record's timeline",
          description:
            "Newest first. A contact's includes its deals'; a company's includes its people's and its deals'.",
          tags,
        },
        [
          subjectTypeParameter("What kind of record", true),
          subjectIdParameter("The record's id", true),
          query("cursor", cursor, "`nextCursor` from the previous (newer) page"),
          query(
            "history",
            { type: "string", enum: ["true", "false"] },
            "`true`: only changes to records (created, updated, deleted, merged, erased, stage changes, won, lost)",
          ),
          query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
        ],
        { description: "A page of the timeline", schema: pageOf(ref("Interaction")) },
        readErrors([404, "The subject is not in this workspace"]),
      ),
      post: writeOperation(
        {
          operationId: "logActivity",
          summary: "Log a call, meeting or email on a record",
          description: "`occurredAt` defaults to now and may not be more than a day ahead.",
          tags,
        },
        jsonBody(activityInput, { summary: ONE_LINE }),
        { status: 201, description: "Logged", schema: ref("Interaction") },
        writeErrors(NO_SUBJECT),
      ),
    },
  };
}
