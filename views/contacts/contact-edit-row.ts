import type { UserSummary } from "../../src/auth/users.ts";
import { csrfField, type FormState, formErrors } from "../components/form-field.ts";
import type { RowContext } from "../components/row-context.ts";
import { customFieldNames, customInputs } from "../custom-fields/custom-inputs.ts";
import { type Html, html } from "../html.ts";
import { CONTACT_FORM_FIELDS, contactFields } from "./contact-fields.ts";

/** A contact's row turned into its edit form; saving swaps the row back (or this form, with errors). */
export function contactEditRow(
  id: number,
  form: FormState,
  owners: UserSummary[],
  ctx: RowContext,
  csrfToken: string,
): Html {
  const path = `${ctx.base}/contacts/${id}`;
  return html`<tr id="contact-${id}" class="editing"><td colspan="${10 + (ctx.custom?.fields.length ?? 0)}">
<form class="inline-form" method="post" action="${path}" hx-post="${path}" hx-target="closest tr" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">
  ${csrfField(csrfToken)}
  <input type="hidden" name="_fragment" value="row">
  ${formErrors(form, [...CONTACT_FORM_FIELDS, ...customFieldNames(ctx)])}
  ${contactFields(form, owners, `edit-${id}`, `${ctx.base}/companies`, ctx.nonce)}
  ${customInputs(ctx.custom?.fields ?? [], form, `edit-${id}`)}
  <div class="form-actions">
    <button type="submit">Save</button>
    <a href="${path}" hx-get="${path}/row" hx-target="closest tr" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">Cancel</a>
  </div>
</form>
</td></tr>`;
}
