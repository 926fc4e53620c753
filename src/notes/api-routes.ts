import { Hono } from "hono";
import { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { ifMatchWrite, taggedJson } from "../http/entity-tag.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import { requireSubject, subjectQuery } from "../interactions/subject.ts";
import {
  listLimitOf,
  optionalParam,
  parseListParams,
  positiveId,
  updatedSinceParam,
} from "../lists/list-params.ts";
import type { Shard } from "../tenancy/shard.ts";
import { noteBody, noteInput } from "./note-input.ts";
import { createNote, deleteNote, getNote, noteJson, notesPage, updateNote } from "./notes.ts";

const noteListParams = z.object({
  ...subjectQuery,
  cursor: optionalParam(positiveId),
  updatedSince: updatedSinceParam,
  // 100, the one page this list answered before it paged.
  limit: listLimitOf(100),
});

/** /api/v1/t/:tenant/notes: a record's notes (?subjectType=&subjectId=, newest first, `cursor`/`limit` pages), create, get, PATCH the body, delete. */
export function noteApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    const p = parseListParams(noteListParams, c.req.query(), "api");
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
    const input = parseOrThrow(noteInput, await readJsonObject(c));
    return answerOnce(c, 201, () => {
      const { note } = createNote(c.var.shard, actorOf(c.var.viewer), input);
      return { json: noteJson(note), location: `/api/v1/t/${c.var.tenant.slug}/notes/${note.id}` };
    });
  });
  // ETag on GET, If-Match on PATCH and DELETE (src/http/entity-tag.ts).
  const current = (shard: Shard, id: number) => () => noteJson(getNote(shard, id));
  app.get("/:id", (c) => taggedJson(c, current(c.var.shard, idParam(c))()));
  app.patch("/:id", async (c) => {
    const id = idParam(c);
    const raw = await readJsonObject(c);
    // The body is read inside: a stale If-Match is a 412 before a bad field is a 422 (RFC 9110 §13.2.1).
    const note = ifMatchWrite(c, current(c.var.shard, id), () =>
      updateNote(
        c.var.shard,
        actorOf(c.var.viewer),
        id,
        parseOrThrow(z.object({ body: noteBody }), raw).body,
      ),
    );
    return taggedJson(c, noteJson(note));
  });
  app.delete("/:id", (c) => {
    const id = idParam(c);
    ifMatchWrite(c, current(c.var.shard, id), () => deleteNote(c.var.shard, actorOf(c.var.viewer), id));
    return c.body(null, 204);
  });
  return app;
}
