import { ValidationError } from "../core/errors.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import type { ParsedCustomValues } from "../custom-fields/field-values.ts";
import type { CustomFieldEntity } from "../custom-fields/schema.ts";
import { MAX_TAGS } from "../tags/tag-input.ts";
import type { Shard } from "../tenancy/shard.ts";
import { CUSTOM_CHOICE_PREFIX, type MergeSide } from "./merge-input.ts";

const isEmpty = (value: unknown) => value === null || value === undefined || value === "";

/** The side a field's value comes from: the one chosen, else the survivor's unless it has none. */
export function keptSide(keep: Record<string, MergeSide>, key: string, survivorValue: unknown): MergeSide {
  return keep[key] ?? (isEmpty(survivorValue) ? "duplicate" : "survivor");
}

/** The built-in fields whose value comes from the duplicate, as a patch for the survivor. */
export function fieldsFromDuplicate(
  fields: readonly string[],
  survivor: object,
  duplicate: object,
  keep: Record<string, MergeSide>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const field of fields) {
    const theirs = (duplicate as Record<string, unknown>)[field];
    if (keptSide(keep, field, (survivor as Record<string, unknown>)[field]) === "duplicate")
      patch[field] = theirs;
  }
  return patch;
}

/** Both records' tags, sorted; a 422 naming `tags` if together they are more than one record may have. */
export function combinedTags(survivor: string[], duplicate: string[]): string[] {
  const tags = [...new Set([...survivor, ...duplicate])].sort();
  if (tags.length > MAX_TAGS) {
    throw new ValidationError([
      {
        field: "tags",
        message: `the two records have ${tags.length} tags together, at most ${MAX_TAGS} are allowed: remove some first`,
      },
    ]);
  }
  return tags;
}

interface StoredValue {
  text: string | null;
  num: number | null;
}

function storedValues(shard: Shard, entity: CustomFieldEntity, recordId: number): Map<number, StoredValue> {
  const rows = shard
    .statement(
      `SELECT field_id AS fieldId, text_value AS text, num_value AS num FROM custom_values
       WHERE record_id = ? AND field_id IN (SELECT id FROM custom_fields WHERE entity = ?)`,
    )
    .all(recordId, entity) as (StoredValue & { fieldId: number })[];
  return new Map(rows.map((r) => [r.fieldId, { text: r.text, num: r.num }]));
}

/**
 * The custom values the survivor takes from the duplicate (null clears one), as stored: read
 * them before the duplicate is deleted, whose delete trigger removes its values. A choice
 * naming a field this workspace does not have is a 422.
 */
export function customValuesFromDuplicate(
  shard: Shard,
  entity: CustomFieldEntity,
  survivorId: number,
  duplicateId: number,
  keep: Record<string, MergeSide>,
): ParsedCustomValues {
  const fields = listFields(shard, entity);
  const keys = new Set(fields.map((f) => `${CUSTOM_CHOICE_PREFIX}${f.key}`));
  const unknown = Object.keys(keep).filter((key) => key.startsWith(CUSTOM_CHOICE_PREFIX) && !keys.has(key));
  if (unknown.length) {
    throw new ValidationError(
      unknown.map((key) => ({ field: `keep.${key}`, message: "is not a custom field of this workspace" })),
    );
  }
  const mine = storedValues(shard, entity, survivorId);
  const theirs = storedValues(shard, entity, duplicateId);
  const values: ParsedCustomValues = new Map();
  for (const field of fields) {
    if (keptSide(keep, `${CUSTOM_CHOICE_PREFIX}${field.key}`, mine.get(field.id)) === "duplicate") {
      values.set(field.id, theirs.get(field.id) ?? null);
    }
  }
  return values;
}
