import type { Shard } from "../tenancy/shard.ts";
import { type FieldDefinition, listFields } from "./field-definitions.ts";
import { readCustomValues } from "./field-values.ts";
import { customFormValues, customInputName, customValuesFromForm } from "./form-values.ts";
import type { CustomFieldEntity } from "./schema.ts";

/** What a record's full-page form needs for its custom fields. */
export interface CustomFormPart {
  fields: FieldDefinition[];
  /** Input names, so their errors show inline rather than above the form. */
  inputNames: string[];
  /** A stored record's values, for its edit form. */
  valuesOf(id: number): Record<string, string>;
  /** The submitted values (ValidationError naming each bad one). */
  parse(form: Record<string, string>): ReturnType<typeof customValuesFromForm>;
}

export function customFormPart(shard: Shard, entity: CustomFieldEntity): CustomFormPart {
  const fields = listFields(shard, entity);
  return {
    fields,
    inputNames: fields.map(customInputName),
    valuesOf: (id) => customFormValues(fields, readCustomValues(shard, fields, [id]).get(id) ?? {}),
    parse: (form) => customValuesFromForm(fields, form),
  };
}
