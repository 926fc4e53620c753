import { CUSTOM_FORM_MARKER, customInputName } from "../../src/core/custom-inputs.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import { type FormState, selectField, textField } from "../components/form-field.ts";
import type { RowContext } from "../components/row-context.ts";
import { type Html, html } from "../html.ts";

function checkboxes(field: FieldDefinition, form: FormState, idPrefix: string): Html {
  const name = customInputName(field);
  const chosen = new Set((form.values[name] ?? "").split("\n"));
  const error = form.errors[name];
  const errorId = `${idPrefix}-${name}-error`;
  return html`<fieldset class="field checks${error ? " invalid" : ""}"${error ? html` aria-describedby="${errorId}"` : ""}><legend>${field.label}</legend>
    ${field.options.map((option, i) => {
      const id = `${idPrefix}-${name}-${i}`;
      return html`<label for="${id}"><input type="checkbox" id="${id}" name="${name}" value="${option}"${chosen.has(option) ? html` checked` : ""}> ${option}</label>`;
    })}
    ${error ? html`<small class="field-error" id="${errorId}">${error}</small>` : ""}</fieldset>`;
}

function checkbox(field: FieldDefinition, form: FormState, idPrefix: string): Html {
  const name = customInputName(field);
  const id = `${idPrefix}-${name}`;
  const error = form.errors[name];
  return html`<label class="field check${error ? " invalid" : ""}" for="${id}"><input type="checkbox" id="${id}" name="${name}" value="true"${
    form.values[name] === "true" ? html` checked` : ""
  }> <span>${field.label}</span>${error ? html`<small class="field-error">${error}</small>` : ""}</label>`;
}

function input(field: FieldDefinition, form: FormState, idPrefix: string): Html {
  const name = customInputName(field);
  const common = { name, label: field.label, form, idPrefix };
  switch (field.type) {
    case "text":
      return textField({ ...common, maxlength: 500 });
    case "number":
      return textField({ ...common, maxlength: 30, extra: html` inputmode="decimal"` });
    case "date":
      return textField({ ...common, type: "date" });
    case "select":
      return selectField({
        ...common,
        options: [{ value: "", label: "—" }, ...field.options.map((o) => ({ value: o, label: o }))],
      });
    case "multiselect":
      return checkboxes(field, form, idPrefix);
    case "checkbox":
      return checkbox(field, form, idPrefix);
  }
}

/**
 * A record form's custom fields. The hidden marker tells the server this form carries them,
 * so an unticked checkbox (which sends nothing) reads as "No" here and as "unchanged" from
 * forms that do not show custom fields (the inline row editor).
 */
export function customInputs(fields: FieldDefinition[], form: FormState, idPrefix: string): Html {
  if (fields.length === 0) return html``;
  return html`<input type="hidden" name="${CUSTOM_FORM_MARKER}" value="1"><div class="fields custom-fields">${fields.map((f) => input(f, form, idPrefix))}</div>`;
}

/** The input names of a row's custom fields, so their errors show inline. */
export function customFieldNames(ctx: RowContext): string[] {
  return (ctx.custom?.fields ?? []).map(customInputName);
}
