import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { CustomFieldEntity, CustomFieldType } from "../../src/custom-fields/schema.ts";
import { csrfField, type FormState, selectField, textField } from "../components/form-field.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";

export interface FieldsPageProps {
  ctx: PageContext;
  base: string;
  fields: Record<CustomFieldEntity, FieldDefinition[]>;
  canEdit: boolean;
  /** The new-field form, with its errors after a failed add. */
  form: FormState;
  /** A failed change to an existing field, shown above the lists. */
  problem?: string;
}

const ENTITY_LABELS: Record<CustomFieldEntity, string> = {
  contact: "Contacts",
  company: "Companies",
  deal: "Deals",
};

/** Every field type, in the schema's order, with its label (the Record type makes the list complete). */
const TYPE_LABELS: Record<CustomFieldType, string> = {
  text: "Text",
  number: "Number",
  date: "Date",
  select: "Choice",
  multiselect: "Multiple choice",
  checkbox: "Yes / no",
};

function fieldRow(p: FieldsPageProps, f: FieldDefinition): Html {
  const hasOptions = f.type === "select" || f.type === "multiselect";
  if (!p.canEdit) {
    return html`<tr><td>${f.label}</td><td><code>${f.key}</code></td><td>${TYPE_LABELS[f.type]}</td><td>${f.options.join(", ")}</td><td></td></tr>`;
  }
  const csrf = csrfField(p.ctx.csrfToken);
  const url = `${p.base}/settings/fields/${f.id}`;
  return html`<tr id="field-${f.id}">
<td colspan="4"><form class="inline field-edit" method="post" action="${url}">${csrf}
<input name="label" value="${f.label}" maxlength="60" required aria-label="Label of ${f.label}">
<code>${f.key}</code> · ${TYPE_LABELS[f.type]}
${hasOptions ? html`<textarea name="options" rows="${Math.min(6, f.options.length + 1)}" aria-label="Options of ${f.label}, one per line">${f.options.join("\n")}</textarea>` : ""}
<button type="submit" class="link">Save</button></form></td>
<td class="actions"><form class="inline" method="post" action="${url}/delete">${csrf}<button type="submit" class="link danger" aria-label="Delete ${f.label} and its values">Delete</button></form></td>
</tr>`;
}

function entitySection(p: FieldsPageProps, entity: CustomFieldEntity): Html {
  const fields = p.fields[entity];
  return html`<section class="field-settings" aria-labelledby="fields-${entity}"><h2 id="fields-${entity}">${ENTITY_LABELS[entity]}</h2>
${
  fields.length
    ? html`<table class="list"><thead><tr><th scope="col">Label</th><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Options</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${join(fields.map((f) => fieldRow(p, f)))}</tbody></table>`
    : html`<p class="empty">No custom fields on ${ENTITY_LABELS[entity].toLowerCase()} yet.</p>`
}</section>`;
}

function newFieldForm(p: FieldsPageProps): Html {
  const form = p.form;
  const idPrefix = "new-field";
  return html`<h2>New field</h2>
<form method="post" action="${p.base}/settings/fields" class="new-field" novalidate>${csrfField(p.ctx.csrfToken)}
<div class="fields">
${selectField({ name: "entity", label: "On", form, idPrefix, options: Object.entries(ENTITY_LABELS).map(([value, label]) => ({ value, label })) })}
${textField({ name: "label", label: "Label", form, idPrefix, required: true, maxlength: 60, placeholder: "Lead source" })}
${textField({ name: "key", label: "Key (for the API; from the label if blank)", form, idPrefix, maxlength: 40, placeholder: "lead_source" })}
${selectField({ name: "type", label: "Type", form, idPrefix, options: Object.entries(TYPE_LABELS).map(([value, label]) => ({ value, label })) })}
<label class="field${form.errors.options ? " invalid" : ""}" for="new-field-options"><span>Options (choices only, one per line)</span>
<textarea id="new-field-options" name="options" rows="4"${form.errors.options ? html` aria-invalid="true" aria-describedby="new-field-options-error"` : ""}>${form.values.options ?? ""}</textarea>
${form.errors.options ? html`<small class="field-error" id="new-field-options-error">${form.errors.options}</small>` : ""}</label>
</div>
<div class="form-actions"><button type="submit">Add field</button></div>
</form>`;
}

/** Settings → Custom fields: the workspace's fields on contacts, companies and deals. */
export function fieldsPage(p: FieldsPageProps): Html {
  return page(p.ctx, {
    title: "Custom fields",
    nav: "settings",
    body: html`<section class="settings">
${settingsNav(p.base, "fields")}
<h1>Custom fields</h1>
${p.problem ? html`<p class="flash error" role="alert">${p.problem}</p>` : ""}
<p class="hint">Custom fields appear on record forms, pages and lists, where they can be sorted and filtered. Deleting a field deletes its values; removing a choice clears it from the records that had it.</p>
${entitySection(p, "contact")}
${entitySection(p, "company")}
${entitySection(p, "deal")}
${p.canEdit ? newFieldForm(p) : ""}
</section>`,
  });
}
