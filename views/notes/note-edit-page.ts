import { csrfField, type FormState, formErrors } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface NoteEditPageProps {
  ctx: PageContext;
  /** `/t/<slug>`. */
  base: string;
  noteId: number;
  /** The body as typed (or as stored) and its problem, if any. */
  form: FormState;
  /** The record the note is on: where Save, Delete and Cancel go back to. */
  back: { href: string; label: string; nav: "contacts" | "companies" | "deals" };
}

/** A note opened from its record's timeline: change its text or delete it. */
export function noteEditPage(p: NoteEditPageProps): Html {
  const action = `${p.base}/notes/${p.noteId}`;
  const error = p.form.errors.body;
  return page(p.ctx, {
    title: "Note",
    nav: p.back.nav,
    body: html`<section class="confirm"><h1>Note on ${p.back.label}</h1>
<form id="edit-note" class="stacked" method="post" action="${action}" aria-label="Change the note">
  ${csrfField(p.ctx.csrfToken)}
  <label class="field${error ? " invalid" : ""}" for="edit-note-body"><span>Note</span><textarea id="edit-note-body" name="body" rows="6" maxlength="10000" required${error ? html` aria-invalid="true" aria-describedby="edit-note-body-error"` : ""}>${p.form.values.body ?? ""}</textarea>${error ? html`<small class="field-error" id="edit-note-body-error">${error}</small>` : ""}</label>
  <div class="form-actions"><button type="submit">Save</button> <a href="${p.back.href}">Cancel</a></div>
  ${formErrors(p.form, ["body"])}
</form>
<form id="delete-note" method="post" action="${action}/delete" aria-label="Delete the note">
  ${csrfField(p.ctx.csrfToken)}
  <button type="submit" class="danger">Delete this note</button>
</form>
<p><a href="${p.back.href}">Back to ${p.back.label}</a></p></section>`,
  });
}
