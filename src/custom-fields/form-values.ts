import { CUSTOM_FORM_MARKER, customInputName } from "../core/custom-inputs.ts";
import type { FieldDefinition } from "./field-definitions.ts";
import { type CustomValues, type ParsedCustomValues, parseCustomValues } from "./field-values.ts";

export { CUSTOM_FORM_MARKER, customInputName };

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
