import type { UserSummary } from "../../src/auth/users.ts";
import { csrfField, type FormState, formErrors } from "../components/form-field.ts";
import type { RowContext } from "../components/row-context.ts";
import { customFieldNames, customInputs } from "../custom-fields/custom-inputs.ts";
import { type Html, html } from "../html.ts";
import { duplicateWarning } from "./duplicate-warning.ts";
import type { RecordView } from "./record-view.ts";

export interface RecordEditRowProps<X> {
  id: number;
  form: FormState;
  owners: UserSummary[];
  /** The row's context, with its custom columns (their inputs are part of the form). */
  ctx: RowContext;
  csrfToken: string;
  extra: X;
}

/**
 * A record's row turned into its edit form (kinds whose view has `inlineEdit`); saving swaps
 * the row back, or this form with its errors.
 */
export function recordEditRow<R extends { id: number }, X>(
  view: RecordView<R, X>,
  p: RecordEditRowProps<X>,
): Html {
  const { id, form, ctx } = p;
  const path = `${ctx.base}/${view.path}/${id}`;
  const idPrefix = view.inlineEdit?.idPrefix(id) ?? `edit-${id}`;
  // Every column: the checkbox, the name, the optional ones, the custom ones and the actions.
  const columns = view.columns.length + 3 + (ctx.custom?.fields.length ?? 0);
  return html`<tr id="${view.type}-${id}" class="editing"><td colspan="${columns}">
<form class="inline-form" method="post" action="${path}" hx-post="${path}" hx-target="closest tr" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">
  ${csrfField(p.csrfToken)}
  <input type="hidden" name="_fragment" value="row">
  ${formErrors(form, [...view.formFields, ...customFieldNames(ctx)])}
  ${view.fields({ form, owners: p.owners, idPrefix, base: ctx.base, nonce: ctx.nonce, isNew: false, extra: p.extra })}
  ${customInputs(ctx.custom?.fields ?? [], form, idPrefix)}
  ${duplicateWarning(form, "Save anyway")}
  <div class="form-actions">
    <button type="submit">Save</button>
    <a href="${path}" hx-get="${path}/row" hx-target="closest tr" hx-swap="outerHTML" hx-nonce="${ctx.nonce}">Cancel</a>
  </div>
</form>
</td></tr>`;
}
