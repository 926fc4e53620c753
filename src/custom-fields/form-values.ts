import type { FieldDefinition } from "./field-definitions.ts";
import { type CustomValues, type ParsedCustomValues, parseCustomValues } from "./field-values.ts";

/** Present in forms that show custom fields (see views/custom-fields/custom-inputs.ts). */
export const CUSTOM_FORM_MARKER = "_cf";

/** A custom field's form input name; `customFields.<key>` issues map back to it. */
export function customInputName(field: Pick<FieldDefinition, "key">): string {
  return `cf.${field.key}`;
}

/**
 * Custom values from a submitted form (fields as strings; a multiselect's choices joined by
 * newlines, which options cannot contain). A form without the marker carries none: nothing changes.
 */
export function customValuesFromForm(
  fields: FieldDefinition[],
  form: Record<string, string>,
): ParsedCustomValues {
  if (form[CUSTOM_FORM_MARKER] !== "1") return new Map();
  const raw: Record<string, unknown> = {};
  for (const field of fields) {
    const value = form[customInputName(field)];
    if (field.type === "checkbox") raw[field.key] = value === "true" ? "true" : "false";
    else if (field.type === "multiselect") raw[field.key] = value ? value.split("\n") : [];
    else raw[field.key] = value ?? null;
  }
  return parseCustomValues(fields, raw, true);
}

/** A record's stored custom values as form values, for its edit form. */
export function customFormValues(fields: FieldDefinition[], values: CustomValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.key];
    if (value === undefined || value === null) continue;
    out[customInputName(field)] = Array.isArray(value) ? value.join("\n") : String(value);
  }
  return out;
}
