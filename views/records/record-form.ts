import type { UserSummary } from "../../src/auth/users.ts";
import { customInputName } from "../../src/core/custom-inputs.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { FormState } from "../components/form-field.ts";
import { recordFormPage } from "../components/record-form-page.ts";
import { customInputs } from "../custom-fields/custom-inputs.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { duplicateWarning } from "./duplicate-warning.ts";
import type { RecordView } from "./record-view.ts";

export interface RecordFormProps<X> {
  ctx: PageContext;
  /** The workspace's URL prefix, `/t/<slug>`. */
  base: string;
  /** The record being edited, or null for a new one. */
  id: number | null;
  form: FormState;
  owners: UserSummary[];
  /** The workspace's custom fields of this kind: inputs below the built-in ones. */
  customFields: FieldDefinition[];
  extra: X;
}

/** A kind's full-page form, new or edit: a plain POST that works without JavaScript. */
export function recordForm<R extends { id: number }, X>(view: RecordView<R, X>, p: RecordFormProps<X>): Html {
  const list = `${p.base}/${view.path}`;
  const idPrefix = view.type;
  return recordFormPage({
    ctx: p.ctx,
    nav: view.path,
    title: p.id ? `Edit ${view.type}` : `New ${view.type}`,
    action: p.id ? `${list}/${p.id}` : list,
    cancelHref: p.id ? `${list}/${p.id}` : (view.links?.newCancel?.(p.base) ?? list),
    submitLabel: p.id ? "Save" : `Create ${view.type}`,
    form: p.form,
    shownFields: [...view.formFields, ...p.customFields.map(customInputName)],
    fields: html`${view.fields({ form: p.form, owners: p.owners, idPrefix, base: p.base, nonce: p.ctx.nonce, isNew: p.id === null, extra: p.extra })}${customInputs(p.customFields, p.form, idPrefix)}${duplicateWarning(p.form, p.id ? "Save anyway" : "Create anyway")}${p.id === null && p.form.values._once ? html`<input type="hidden" name="_once" value="${p.form.values._once}">` : ""}`,
  });
}
