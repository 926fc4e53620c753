import { CHANGE_TYPES } from "../../changes/change.ts";
import { MAX_CHANGES_LIMIT } from "../../changes/read-changes.ts";
import { ROLES } from "../../identity/roles.ts";
import {
  collectionParameters,
  getOperation,
  itemParameters,
  listOperation,
  onePageOf,
  readErrors,
} from "./operations.ts";
import { dateTime, id, query, ref } from "./parts.ts";
import { closed } from "./schema-rules.ts";

// The OpenAPI document, part: the changes feed and the workspace's users (src/changes, src/auth/user-api-routes.ts).

const RECORD_OBJECTS = ["contact", "company", "deal"];
const idString = { type: "string", pattern: "^\\d+$", description: "An id, as a string" };

export const changeSchema = closed({
  type: "object",
  required: ["id", "type", "occurredAt", "object", "actor"],
  properties: {
    id: { ...idString, description: "The log entry's id: pass it as `after` to read what follows" },
    type: { type: "string", enum: [...CHANGE_TYPES] },
    occurredAt: dateTime,
    object: {
      type: "object",
      required: ["type", "id"],
      description:
        "What changed (for a `*.deleted`, the tombstone); a note, task or activity also names its record",
      properties: {
        type: { type: "string", enum: [...RECORD_OBJECTS, "note", "task", "activity"] },
        id: idString,
        subject: {
          type: "object",
          description: "A note's, task's or activity's record; absent on a contact, company or deal",
          required: ["type", "id"],
          properties: { type: { type: "string", enum: RECORD_OBJECTS }, id: idString },
        },
      },
    },
    fields: {
      type: "array",
      items: { type: "string" },
      description: "An update's changed fields (`deal.stage_changed`: stageId)",
    },
    changes: {
      type: "object",
      additionalProperties: { type: "array", minItems: 2, maxItems: 2 },
      description: "An update's `{field: [old, new]}`; absent once an erasure emptied the entry",
    },
    mergedId: { ...idString, description: "A merge's duplicate, now gone: drop it" },
    activityKind: {
      type: "string",
      enum: ["call", "meeting", "email"],
      description: "On an activity's entries only: what was logged",
    },
    actor: {
      type: "object",
      required: ["type", "id"],
      properties: {
        type: { type: "string", enum: ["user", "api_key", "system"] },
        id: { type: ["string", "null"], description: "null for the system" },
      },
    },
  },
});

export const userSchema = {
  type: "object",
  required: ["id", "name", "email", "role"],
  additionalProperties: false,
  properties: {
    id,
    name: { type: "string" },
    email: { type: "string" },
    role: { type: "string", enum: [...ROLES] },
  },
};

export function changesPaths() {
  return {
    "/api/v1/t/{tenant}/changes": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "listChanges",
          summary: "The changes feed",
          description:
            'Every create, update, delete (a tombstone), merge and erasure of contacts, companies and deals, deal stage moves, won and lost, notes created, changed and deleted, tasks completed and deleted, and calls, meetings and emails logged, corrected or removed, oldest first. Integration events (web visits, email opens) are not in it. `nextCursor` is always a string, also on the last page (the `after` given when nothing is new): poll with it. A page reads at most `limit` log entries, so it may hold fewer (even none) while `nextCursor` moves on. See README, "Keeping another system in step".',
          tags: ["Changes"],
        },
        [
          query(
            "after",
            { type: "string", pattern: "^\\d{1,16}$", default: "0" },
            "A `nextCursor` (or an entry's `id`): only what happened after it. Without it, from the start. A value past the end of this workspace's log (one it never answered) is a 400 naming `after`",
          ),
          query(
            "limit",
            { type: "integer", minimum: 1, maximum: MAX_CHANGES_LIMIT, default: 100 },
            "The most log entries read for this page",
          ),
        ],
        {
          description: "A page of the feed",
          schema: {
            type: "object",
            required: ["data", "nextCursor"],
            additionalProperties: false,
            properties: {
              data: { type: "array", items: ref("Change") },
              nextCursor: { ...idString, description: "Pass as `after` next time; never null" },
            },
          },
        },
        readErrors(),
      ),
    },
    "/api/v1/t/{tenant}/users": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "listUsers",
          summary: "The workspace's users",
          description: "By name: who owners (`ownerId`) and assignees (`assigneeId`) are. Read-only.",
          tags: ["Users"],
        },
        undefined,
        { description: "Every user", schema: onePageOf(ref("User")) },
      ),
    },
    "/api/v1/t/{tenant}/users/{id}": {
      parameters: itemParameters("The user's id"),
      get: getOperation({ operationId: "getUser", summary: "Get a user", tags: ["Users"] }, ref("User")),
    },
  };
}
