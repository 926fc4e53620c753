import type { UserSummary } from "../../src/auth/users.ts";
import { csrfField, type FormState, formErrors } from "../components/form-field.ts";
import type { RowContext } from "../components/row-context.ts";
import { customFieldNames, customInputs } from "../custom-fields/custom-inputs.ts";
import { type Html, html } from "../html.ts";
import { COMPANY_FORM_FIELDS, companyFields } from "./company-fields.ts";
import { COMPANY_COLUMNS } from "./company-row.ts";

/** A company's row turned into its edit form; saving swaps the row back (or this form, with errors). */
export function companyEditRow(
  id: number,
  form: FormState,
  owners: UserSummary[],
  ctx: RowContext,
  csrfToken: string,
): Html {
  const path = `${ctx.base}/companies/${id}`;
  return html`<tr id="company-${id}" class="editing"><td colspan="${COMPANY_COLUMNS + 1 + (ctx.custom?.fields.length ?? 0)}">
<form class="inline-form" method="post" action="${path}" hx-post="${path}" hx-target="closest tr" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">
  ${csrfField(csrfToken)}
  <input type="hidden" name="_fragment" value="row">
  ${formErrors(form, [...COMPANY_FORM_FIELDS, ...customFieldNames(ctx)])}
  ${companyFields(form, owners, `edit-company-${id}`)}
  ${customInputs(ctx.custom?.fields ?? [], form, `edit-company-${id}`)}
  <div class="form-actions">
    <button type="submit">Save</button>
    <a href="${path}" hx-get="${path}/row" hx-target="closest tr" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">Cancel</a>
  </div>
</form>
</td></tr>`;
}
