import { Hono } from "hono";
import { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { requireSubject, subjectInput } from "../interactions/subject.ts";
import { parseListParams } from "../lists/list-params.ts";
import { noteBody, noteInput } from "./note-input.ts";
import { createNote, deleteNote, getNote, noteJson, notesAbout, updateNote } from "./notes.ts";

const noteListParams = z.object(subjectInput);

/** /api/v1/t/:tenant/notes: a record's notes (?subjectType=&subjectId=), create, get, PATCH the body, delete. */
export function noteApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    const p = parseListParams(noteListParams, c.req.query(), true);
    requireSubject(c.var.shard, { type: p.subjectType, id: p.subjectId });
    return c.json({
      data: notesAbout(c.var.shard, p.subjectType, p.subjectId).map(noteJson),
      nextCursor: null,
    });
  });
  app.post("/", async (c) => {
    const input = parseOrThrow(noteInput, await readJsonObject(c));
    return answerOnce(c, 201, () => {
      const { note } = createNote(c.var.shard, actorOf(c.var.viewer), input);
      return { json: noteJson(note), location: `/api/v1/t/${c.var.tenant.slug}/notes/${note.id}` };
    });
  });
  app.get("/:id", (c) => c.json(noteJson(getNote(c.var.shard, idParam(c)))));
  app.patch("/:id", async (c) => {
    const { body } = parseOrThrow(z.object({ body: noteBody }), await readJsonObject(c));
    return c.json(noteJson(updateNote(c.var.shard, actorOf(c.var.viewer), idParam(c), body)));
  });
  app.delete("/:id", (c) => {
    deleteNote(c.var.shard, actorOf(c.var.viewer), idParam(c));
    return c.body(null, 204);
  });
  return app;
}
