import { type Context, Hono } from "hono";
import { z } from "zod";
import { noteEditPage } from "../../views/notes/note-edit-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { formNumbers } from "../core/form-numbers.ts";
import { RECORD_PLURALS, type RecordType, recordPath } from "../core/record-types.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext, wantsFragment } from "../http/page-context.ts";
import { memberOnly } from "../http/role-guards.ts";
import { actorOf } from "../identity/viewer.ts";
import { answerWithEntry } from "../interactions/entry-response.ts";
import { subjectName } from "../interactions/subject.ts";
import { noteBody, noteInput } from "./note-input.ts";
import { createNote, deleteNote, getNote, updateNote } from "./notes.ts";
import type { Note } from "./schema.ts";

/** The record a note is on, as its page's way back: its path, its name and its part of the menu. */
function backTo(c: Context<ViewerEnv>, note: Note) {
  const type = note.subjectType as RecordType;
  return {
    href: recordPath(`/t/${c.var.tenant.slug}`, { type, id: note.subjectId }),
    label: subjectName(c.var.shard, { type, id: note.subjectId }) || `the ${type}`,
    nav: RECORD_PLURALS[type],
  };
}

/** Adding and deleting notes on records (they show on the record's timeline). */
export function noteRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  app.post("/", async (c) => {
    const input = parseOrThrow(noteInput, formNumbers(await formFields(c), ["subjectId"]));
    const { interactionId } = createNote(c.var.shard, actorOf(c.var.viewer), input);
    return answerWithEntry(c, deps, interactionId, { type: input.subjectType, id: input.subjectId });
  });

  const renderEdit = (
    c: Context<ViewerEnv>,
    note: Note,
    form: { values: Record<string, string>; errors: Record<string, string> },
    status: 200 | 422 = 200,
  ) =>
    c.html(
      noteEditPage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        noteId: note.id,
        form,
        back: backTo(c, note),
      }).value,
      status,
    );

  // A note opened from its record's timeline (its Edit link): change its text or delete it.
  app.get("/:id/edit", memberOnly, (c) => {
    const note = getNote(c.var.shard, idParam(c));
    return renderEdit(c, note, { values: { body: note.body }, errors: {} });
  });

  app.post("/:id", async (c) => {
    const note = getNote(c.var.shard, idParam(c));
    const fields = await formFields(c);
    const parsed = writeFromForm(fields, () => parseOrThrow(z.object({ body: noteBody }), fields));
    if (!parsed.ok)
      return renderEdit(c, note, { values: { body: fields.body ?? "" }, errors: parsed.form.errors }, 422);
    updateNote(c.var.shard, actorOf(c.var.viewer), note.id, parsed.value.body);
    return c.redirect(backTo(c, note).href, 303);
  });

  app.post("/:id/delete", (c) => {
    const note = getNote(c.var.shard, idParam(c));
    deleteNote(c.var.shard, actorOf(c.var.viewer), note.id);
    if (wantsFragment(c)) return c.body(null, 200);
    return c.redirect(backTo(c, note).href, 303);
  });

  return app;
}
