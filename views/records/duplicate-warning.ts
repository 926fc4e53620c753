import type { FormState } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

/**
 * The warning a form shows when it would duplicate an existing record: a link to that record
 * and a second submit button sending `anyway=1`, which writes it all the same. A plain form
 * post sends the button's name and value, and so does htmx (the submitter), so both paths agree.
 */
export function duplicateWarning(form: FormState, anywayLabel: string): Html {
  const found = form.duplicate;
  if (!found) return html``;
  return html`<div class="duplicate-warning" role="alert"><p>${found.message}: <a href="${found.href}">${found.name}</a></p><button type="submit" name="anyway" value="1">${anywayLabel}</button></div>`;
}
