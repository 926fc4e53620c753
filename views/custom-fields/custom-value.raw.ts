import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { CustomValues } from "../../src/custom-fields/field-values.ts";
import { escapeHtml as e } from "../html.ts";

const numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });

/** A custom value as escaped HTML text ("" when unset). */
export function customValueHtml(field: FieldDefinition, value: CustomValues[string] | undefined): string {
  if (value === undefined || value === null) return "";
  switch (field.type) {
    case "number":
      return numbers.format(value as number);
    case "checkbox":
      return value ? "Yes" : "No";
    case "multiselect":
      return e((value as string[]).join(", "));
    default:
      return e(String(value));
  }
}
