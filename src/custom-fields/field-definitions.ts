import { NotFoundError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import type { CustomField, CustomFieldEntity, CustomFieldType } from "./schema.ts";

/** Custom fields a kind of record may have: creating one more is refused (manage-fields.ts). */
export const MAX_FIELDS_PER_ENTITY = 50;

/** A field definition, its options parsed. */
export interface FieldDefinition {
  id: number;
  entity: CustomFieldEntity;
  key: string;
  label: string;
  type: CustomFieldType;
  options: string[];
  position: number;
}

const COLUMNS = "id, entity, key, label, type, options, position";

function toDefinition(row: CustomField): FieldDefinition {
  return { ...row, options: JSON.parse(row.options) as string[] };
}

/** A workspace's custom fields for one kind of record, in order (cached per shard version). */
export function listFields(shard: Shard, entity: CustomFieldEntity): FieldDefinition[] {
  // Every list page, form and record page asks: kept per shard version (any write reads again).
  return versionedCache(shard, "custom-fields", entity, 4, () => readFields(shard, entity));
}

function readFields(shard: Shard, entity: CustomFieldEntity): FieldDefinition[] {
  return (
    shard
      .statement(`SELECT ${COLUMNS} FROM custom_fields WHERE entity = ? ORDER BY position, id`)
      .all(entity) as CustomField[]
  ).map(toDefinition);
}

export function getField(shard: Shard, id: number): FieldDefinition {
  const row = shard
    .statement(`SELECT ${COLUMNS} FROM custom_fields WHERE id = ?`)
    .get(id) as CustomField | null;
  if (!row) throw new NotFoundError("custom field");
  return toDefinition(row);
}

/** A field definition as the API answers it. */
export function fieldJson(f: FieldDefinition) {
  return {
    id: f.id,
    entity: f.entity,
    key: f.key,
    label: f.label,
    type: f.type,
    options: f.options,
    position: f.position,
  };
}
