import { Hono } from "hono";
import { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { actorOf } from "../identity/viewer.ts";
import { requireSubject, subjectInput } from "../interactions/subject.ts";
import {
  listLimitOf,
  optionalParam,
  parseListParams,
  positiveId,
  updatedSinceParam,
} from "../lists/list-params.ts";
import { noteBody, noteInput } from "./note-input.ts";
import { createNote, deleteNote, getNote, noteJson, notesPage, updateNote } from "./notes.ts";

const noteListParams = z.object({
  ...subjectInput,
  cursor: optionalParam(positiveId),
  updatedSince: updatedSinceParam,
  // 100, the one page this list answered before it paged.
  limit: listLimitOf(100),
});

/** /api/v1/t/:tenant/notes: a record's notes (?subjectType=&subjectId=, newest first, `cursor`/`limit` pages), create, get, PATCH the body, delete. */
export function noteApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    const p = parseListParams(noteListParams, c.req.query(), true);
    requireSubject(c.var.shard, { type: p.subjectType, id: p.subjectId });
    const page = notesPage(c.var.shard, {
      subjectType: p.subjectType,
      subjectId: p.subjectId,
      before: p.cursor,
      updatedSince: p.updatedSince === undefined ? undefined : Date.parse(p.updatedSince),
      limit: p.limit,
    });
    return c.json({ data: page.notes.map(noteJson), nextCursor: page.nextCursor });
  });
  app.post("/", async (c) => {
    const { note } = createNote(
      c.var.shard,
      actorOf(c.var.viewer),
      parseOrThrow(noteInput, await readJsonObject(c)),
    );
    c.header("Location", `/api/v1/t/${c.var.tenant.slug}/notes/${note.id}`);
    return c.json(noteJson(note), 201);
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
