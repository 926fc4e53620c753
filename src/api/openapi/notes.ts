import { z } from "zod";
import { noteBody, noteInput } from "../../notes/note-input.ts";
import { subjectIdParameter, subjectTypeParameter } from "./interactions.ts";
import {
  errorResponses,
  idParameter,
  json,
  jsonBody,
  location,
  nullableId,
  pageOf,
  RECORD_SUBJECTS,
  ref,
  tenantParameter,
  timestamps,
} from "./parts.ts";

// The OpenAPI document, part: Notes (src/notes/api-routes.ts).

export const noteSchema = {
  type: "object",
  required: ["id", "body", "subjectType", "subjectId", "authorId", "createdAt", "updatedAt"],
  properties: {
    id: { type: "integer" },
    body: { type: "string", description: "Plain text, as typed" },
    subjectType: { type: "string", enum: RECORD_SUBJECTS },
    subjectId: { type: "integer" },
    authorId: { ...nullableId, description: "The user who wrote it; null when written with an API key" },
    ...timestamps,
  },
};

export function notePaths() {
  const tag = ["Notes"];
  const note = ref("Note");
  return {
    "/api/v1/t/{tenant}/notes": {
      parameters: [tenantParameter],
      get: {
        operationId: "listNotes",
        summary: "A record's notes",
        description: "Newest first, the latest 100, on one page.",
        tags: tag,
        parameters: [
          subjectTypeParameter("What kind of record", true),
          subjectIdParameter("The record's id", true),
        ],
        responses: {
          200: {
            description: "The notes",
            content: json(pageOf(note, { type: "null", description: "Always null: one page" })),
          },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: "createNote",
        summary: "Add a note to a record",
        description: "Logs `note.created` on the record.",
        tags: tag,
        requestBody: jsonBody(noteInput),
        responses: {
          201: { description: "Created", headers: location, content: json(note) },
          ...errorResponses(400, 401, 403, [404, "No such workspace, or no such subject"], 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/notes/{id}": {
      parameters: [tenantParameter, idParameter("The note's id")],
      get: {
        operationId: "getNote",
        summary: "Get a note",
        tags: tag,
        responses: { 200: { description: "Found", content: json(note) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: "updateNote",
        summary: "Change a note's text",
        tags: tag,
        requestBody: jsonBody(z.object({ body: noteBody })),
        responses: {
          200: { description: "Updated", content: json(note) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deleteNote",
        summary: "Delete a note",
        tags: tag,
        responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
      },
    },
  };
}
