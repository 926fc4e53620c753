import { listFields } from "../custom-fields/field-definitions.ts";
import { readCustomValues } from "../custom-fields/field-values.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { KindRecord, RecordKind } from "./record-kind.ts";

/** Records of one kind as the API answers them: their JSON with their custom values (one query for them all). */
export function recordsJson<R extends KindRecord>(
  shard: Shard,
  kind: Pick<RecordKind<R>, "type" | "api">,
  records: R[],
): object[] {
  const values = readCustomValues(
    shard,
    listFields(shard, kind.type),
    records.map((r) => r.id),
  );
  const complete = kind.api.complete?.(shard, records) ?? records;
  return complete.map((r) => ({
    ...kind.api.json(r),
    customFields: values.get(r.id) ?? {},
  }));
}
