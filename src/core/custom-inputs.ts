/**
 * The names custom fields take in forms, shared by the forms that render them
 * (views/custom-fields/custom-inputs.ts) and the code that reads them back
 * (src/custom-fields/form-values.ts).
 */

/** Present in forms that show custom fields: a form without it leaves every custom value unchanged. */
export const CUSTOM_FORM_MARKER = "_cf";

/** A custom field's form input name; `customFields.<key>` issues map back to it. */
export function customInputName(field: { key: string }): string {
  return `cf.${field.key}`;
}

/** How the API names a custom field in a record's body, in issues and in a merge's `keep`: `customFields.<key>`. */
export const CUSTOM_FIELD_PREFIX = "customFields.";
