import { CUSTOM_FIELD_PREFIX } from "../../src/core/custom-inputs.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { CustomValues } from "../../src/custom-fields/field-values.ts";
import { customValueHtml } from "../custom-fields/custom-value.raw.ts";
import { type HtmlValue, trustedHtml } from "../html.ts";

/** One line of a merge's comparison: a field and what each record holds in it. */
export interface MergeRow {
  /** The choice's form name is `keep.<key>`: a built-in field, or `customFields.<field key>`. */
  key: string;
  label: string;
  survivor: HtmlValue;
  duplicate: HtmlValue;
}

/** How a kind's built-in merge fields show (its RecordView's `mergeShown`): a label and the record's value as text, by field. */
export type MergeShown<R> = Record<string, [label: string, value: (record: R) => string | null]>;

/** A line per built-in merge field, in the kind's order (its values are text: the page escapes them). */
export function mergeRows<R>(fields: readonly string[], shown: MergeShown<R>, s: R, d: R): MergeRow[] {
  return fields.map((key) => {
    const [label, value] = shown[key] ?? [key, () => null];
    return { key, label, survivor: value(s), duplicate: value(d) };
  });
}

/** A line per custom field of the kind (customValueHtml escapes what it returns). */
export function customMergeRows(fields: FieldDefinition[], s: CustomValues, d: CustomValues): MergeRow[] {
  return fields.map((f) => ({
    key: `${CUSTOM_FIELD_PREFIX}${f.key}`,
    label: f.label,
    survivor: trustedHtml(customValueHtml(f, s[f.key])),
    duplicate: trustedHtml(customValueHtml(f, d[f.key])),
  }));
}
