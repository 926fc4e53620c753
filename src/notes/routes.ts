import { Hono } from "hono";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { recordPath } from "../core/record-types.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { formFields, idParam, wantsFragment } from "../http/page-context.ts";
import { actorOf } from "../identity/viewer.ts";
import { answerWithEntry } from "../interactions/entry-response.ts";
import { noteInput } from "./note-input.ts";
import { createNote, deleteNote, getNote } from "./notes.ts";

/** Adding and deleting notes on records (they show on the record's timeline). */
export function noteRoutes(_deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  app.post("/", async (c) => {
    const input = parseOrThrow(noteInput, await formFields(c));
    const { interactionId } = createNote(c.var.shard, actorOf(c.var.viewer), input);
    return answerWithEntry(c, interactionId, { type: input.subjectType, id: input.subjectId });
  });

  app.post("/:id/delete", (c) => {
    const note = getNote(c.var.shard, idParam(c));
    deleteNote(c.var.shard, note.id);
    if (wantsFragment(c)) return c.body(null, 200);
    const type = note.subjectType as "contact" | "company" | "deal";
    return c.redirect(recordPath(`/t/${c.var.tenant.slug}`, { type, id: note.subjectId }), 303);
  });

  return app;
}
