import type { SQLQueryBindings } from "bun:sqlite";
import type { Actor } from "../identity/viewer.ts";
import { logRecordUpdates } from "../record-updates/log-record-updates.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { FieldDefinition } from "./field-definitions.ts";
import type { CustomFieldType } from "./schema.ts";

/** A stored value as the API answers it (fromStored in field-values.ts), as SQL over custom_values. */
const API_VALUE: Record<CustomFieldType, string> = {
  text: "text_value",
  select: "text_value",
  date: "text_value",
  number: "num_value",
  checkbox: "json(CASE WHEN num_value = 1 THEN 'true' ELSE 'false' END)",
  multiselect: "json(coalesce(text_value, '[]'))",
};

/** Which values of a field change, and to what (an SQL expression over custom_values; NULL: cleared). */
export interface ValueChange {
  /** A condition on custom_values narrowing the field's values to those that change. */
  where: string;
  whereParams?: SQLQueryBindings[];
  /** The new value as the API would answer it. */
  next: string;
  nextParams?: SQLQueryBindings[];
}

/**
 * Logs `<entity>.updated` with `{changes: {"customFields.<key>": [old, new]}}` for every record
 * whose value of `field` a settings change rewrites or clears (an option taken away, the field
 * deleted), and moves their updatedAt: set-based (logRecordUpdates), whatever their number.
 * Call in the change's transaction, before it writes the values.
 */
export function logValueChanges(
  shard: Shard,
  actor: Actor,
  field: FieldDefinition,
  change: ValueChange,
  now: number,
): number {
  return logRecordUpdates(
    shard,
    actor,
    {
      type: field.entity,
      rows: `SELECT record_id AS id, json_object('changes', json_object(?, json_array(${API_VALUE[field.type]}, ${change.next})))
        AS payload FROM custom_values WHERE field_id = ? AND (${change.where})`,
      params: [
        `customFields.${field.key}`,
        ...(change.nextParams ?? []),
        field.id,
        ...(change.whereParams ?? []),
      ],
    },
    now,
  );
}
