import type { Actor } from "../identity/viewer.ts";
import { ifMatchedWrite } from "../tenancy/if-matched-write.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type FieldDefinition, fieldJson, getField } from "./field-definitions.ts";
import { deleteField, updateField } from "./manage-fields.ts";

/** A custom field's change or deletion as plain data, so a worker can run it (change-field.worker.ts). */
export interface FieldChange {
  actor: Actor;
  id: number;
  /** `update`: updateField with `body`; `delete`: deleteField. */
  op: "update" | "delete";
  body?: unknown;
  /** The If-Match tags (src/http/entity-tag.ts ifMatchTags), compared with the field as GET answers it. */
  ifMatch?: string[];
}

/**
 * How many records a field's change rewrites, cheaply (one indexed count of its values): all
 * that hold a value when it is deleted or its options are sent (those that lose theirs are
 * among them), none for a label alone.
 */
export function fieldChangeReach(shard: Shard, change: Pick<FieldChange, "id" | "op" | "body">): number {
  const { body } = change;
  const options =
    typeof body === "object" && body !== null ? (body as { options?: unknown }).options : undefined;
  if (change.op === "update" && options === undefined) return 0;
  return (
    shard.statement("SELECT count(*) AS n FROM custom_values WHERE field_id = ?").get(change.id) as {
      n: number;
    }
  ).n;
}

/** updateField or deleteField under the request's If-Match, on whichever thread runs it; the field after an update, null after a deletion. */
export function changeField(shard: Shard, change: FieldChange): FieldDefinition | null {
  return ifMatchedWrite(
    shard,
    change.ifMatch,
    () => fieldJson(getField(shard, change.id)),
    () => {
      if (change.op === "update") return updateField(shard, change.actor, change.id, change.body);
      deleteField(shard, change.actor, change.id);
      return null;
    },
  );
}
