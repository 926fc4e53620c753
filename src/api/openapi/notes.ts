import { z } from "zod";
import { noteBody, noteInput } from "../../notes/note-input.ts";
import { NO_SUBJECT, subjectIdParameter, subjectTypeParameter } from "./interactions.ts";
import {
  collectionParameters,
  createOperation,
  deleteOperation,
  getOperation,
  itemParameters,
  listOperation,
  writeErrors,
  writeOperation,
} from "./operations.ts";
import {
  cursor,
  id,
  jsonBody,
  nullableId,
  pageOf,
  query,
  RECORD_SUBJECTS,
  ref,
  timestamps,
  updatedSinceParameter,
} from "./parts.ts";
import { MULTI_LINE } from "./schema-rules.ts";

// The OpenAPI document, part: Notes (src/notes/api-routes.ts).

export const noteSchema = {
  type: "object",
  required: ["id", "body", "subjectType", "subjectId", "authorId", "createdAt", "updatedAt"],
  additionalProperties: false,
  properties: {
    id,
    body: { type: "string", description: "Plain text, as typed" },
    subjectType: { type: "string", enum: RECORD_SUBJECTS },
    subjectId: id,
    authorId: { ...nullableId, description: "The user who wrote it; null when written with an API key" },
    ...timestamps,
  },
};

/** A note's text: lines and tabs allowed, no other control characters, and not only spaces. */
const NOTE_BODY = {
  minLength: 1,
  allOf: [MULTI_LINE, { pattern: "\\S" }],
  description: "Plain text, kept as typed; not blank",
};

export function notePaths() {
  const tags = ["Notes"];
  const note = ref("Note");
  return {
    "/api/v1/t/{tenant}/notes": {
      parameters: collectionParameters(),
      get: listOperation(
        {
          operationId: "listNotes",
          summary: "A record's notes",
          description: "Newest first, a page at a time.",
          tags,
        },
        [
          subjectTypeParameter("What kind of record", true),
          subjectIdParameter("The record's id", true),
          updatedSinceParameter("Only notes changed at or after this instant"),
          query("cursor", cursor, "`nextCursor` from the previous (newer) page"),
          query("limit", { type: "integer", minimum: 1, maximum: 200, default: 100 }, "Page size"),
        ],
        { description: "A page of notes", schema: pageOf(note) },
      ),
      post: createOperation(
        {
          operationId: "createNote",
          summary: "Add a note to a record",
          description: "Logs `note.created` on the record.",
          tags,
        },
        jsonBody(noteInput, { body: NOTE_BODY }),
        note,
        writeErrors(NO_SUBJECT),
      ),
    },
    "/api/v1/t/{tenant}/notes/{id}": {
      parameters: itemParameters("The note's id"),
      get: getOperation({ operationId: "getNote", summary: "Get a note", tags }, note),
      patch: writeOperation(
        { operationId: "updateNote", summary: "Change a note's text", tags },
        jsonBody(z.object({ body: noteBody }), { body: NOTE_BODY }),
        { description: "Updated", schema: note },
      ),
      delete: deleteOperation({ operationId: "deleteNote", summary: "Delete a note", tags }),
    },
  };
}
