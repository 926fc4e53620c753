import type { Shard } from "../tenancy/shard.ts";
import { listFields } from "./field-definitions.ts";
import { type ParsedCustomValues, writeCustomValues } from "./field-values.ts";
import type { CustomFieldEntity } from "./schema.ts";

/** Writes a record's submitted custom values in its write transaction; returns the changes for its log entry. */
export function applyCustomValues(
  shard: Shard,
  entity: CustomFieldEntity,
  recordId: number,
  values: ParsedCustomValues | undefined,
): Record<string, [unknown, unknown]> {
  if (!values || values.size === 0) return {};
  return writeCustomValues(shard, listFields(shard, entity), recordId, values);
}
