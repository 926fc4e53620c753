import type { Shard } from "../tenancy/shard.ts";
import { type FieldDefinition, listFields } from "./field-definitions.ts";
import { type CustomValues, readCustomValues } from "./field-values.ts";
import type { CustomFieldEntity } from "./schema.ts";

/** The custom fields a list shows as columns, with the values of the rows on screen. */
export interface CustomColumns {
  fields: FieldDefinition[];
  values: Map<number, CustomValues>;
}

/**
 * The custom columns for some rows: every field of the kind, or only `only` (a saved view's
 * chosen columns, by key). One query for the whole page.
 */
export function customColumns(
  shard: Shard,
  entity: CustomFieldEntity,
  ids: number[],
  only?: string[],
): CustomColumns {
  const all = listFields(shard, entity);
  const fields = only ? all.filter((f) => only.includes(f.key)) : all;
  return { fields, values: readCustomValues(shard, fields, ids) };
}
