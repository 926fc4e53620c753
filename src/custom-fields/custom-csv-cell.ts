import type { FieldDefinition } from "./field-definitions.ts";
import type { CustomValues } from "./field-values.ts";

/**
 * A custom value as a spreadsheet cell: boxes `true`/`false`, a multi-select's options
 * comma-separated, a date as its day, text and numbers as they are, no value empty.
 */
export function customCsvCell(value: CustomValues[string] | undefined): string | number | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "boolean") return value ? "true" : "false";
  return value;
}

/**
 * Custom fields' column headers: each field's label, in the fields' order; a label that repeats
 * a built-in header (or an earlier label) adds its key, "Source (source_2)", so no two match.
 */
export function customCsvHeaders(builtIn: string[], fields: FieldDefinition[]): string[] {
  const taken = new Set(builtIn.map((h) => h.toLowerCase()));
  return fields.map((f) => {
    const header = taken.has(f.label.toLowerCase()) ? `${f.label} (${f.key})` : f.label;
    taken.add(header.toLowerCase());
    return header;
  });
}
