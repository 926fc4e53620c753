import { csrfField, type FormState, formErrors } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { duplicateWarning } from "./duplicate-warning.ts";
import type { RecordView } from "./record-view.ts";

/**
 * Quick add above a list (for kinds whose view has `quickAdd`): the row it creates is
 * prepended to the table, and the form comes back empty (or with its errors inline, on a 422).
 */
export function quickAddForm<R extends { id: number }, X>(
  view: RecordView<R, X>,
  base: string,
  form: FormState,
  csrfToken: string,
  nonce: string,
): Html {
  const quickAdd = view.quickAdd;
  if (!quickAdd) return html``;
  const action = `${base}/${view.path}`;
  return html`<form id="new-${view.type}" class="quick-add" data-reset method="post" action="${action}" hx-post="${action}" hx-target="#${view.type}-rows" hx-swap="afterbegin" hx-nonce="${nonce}" aria-label="${quickAdd.label}">
  ${csrfField(csrfToken)}
  <input type="hidden" name="_fragment" value="row">
  ${quickAdd.inputs({ form, base, nonce })}
  <button type="submit">${quickAdd.button}</button>
  ${formErrors(form, [...quickAdd.fields])}
  ${duplicateWarning(form, "Create anyway")}
</form>`;
}

/**
 * The list header's "New contact": a disclosure (it opens without JavaScript) holding quick
 * add, and a link to the full form with every field. Open when the form comes back with errors.
 */
export function quickAddDisclosure<R extends { id: number }, X>(
  view: RecordView<R, X>,
  base: string,
  form: FormState,
  csrfToken: string,
  nonce: string,
): Html {
  const open = Object.keys(form.errors).length > 0;
  return html`<details class="quick-add-toggle"${open ? html` open` : ""}><summary class="button">New ${view.type}</summary>
<div class="panel">${quickAddForm(view, base, form, csrfToken, nonce)}<a href="${base}/${view.path}/new">All fields…</a></div></details>`;
}

/** What a quick add answers: the new row, and the form again, empty, in place of the one sent. */
export function quickAddCreated<R extends { id: number }, X>(
  view: RecordView<R, X>,
  row: Html,
  emptyForm: Html,
  nonce: string,
): Html {
  return html`${row}<hx-partial hx-target="#new-${view.type}" hx-swap="outerHTML" hx-nonce="${nonce}">${emptyForm}</hx-partial>`;
}
