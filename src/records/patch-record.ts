import type { RecordType } from "../core/record-types.ts";
import { applyCustomValues } from "../custom-fields/apply-custom-values.ts";
import type { WithCustomFields } from "../custom-fields/field-values.ts";
import type { Actor } from "../identity/viewer.ts";
import { changedFields, recordInteraction } from "../interactions/record-interaction.ts";
import { setTags } from "../tags/set-tags.ts";
import type { Shard } from "../tenancy/shard.ts";

/**
 * What an edit of a contact or a company does once its input is checked, inside the caller's
 * transaction: work out which built-in and custom fields change; if none, write nothing;
 * otherwise write the changed columns (through `writeColumns`, with the kind's own table), the tags and
 * the custom values, and log one `<type>.updated` entry with each change's old and new value.
 */
export function patchRecord<P extends { tags?: string[] }>(
  shard: Shard,
  actor: Actor,
  record: { type: RecordType; id: number; before: object },
  patch: WithCustomFields<P>,
  writeColumns: (columns: Omit<P, "tags">) => void,
  now: number,
): void {
  const { customFields, ...fields } = patch;
  const changes = {
    ...changedFields(record.before as Record<string, unknown>, fields as Record<string, unknown>),
    ...applyCustomValues(shard, record.type, record.id, customFields),
  };
  if (Object.keys(changes).length === 0) return;
  const { tags, ...sent } = fields as unknown as P;
  // Only the columns that change: the same row, without rewriting the index entries (and the
  // full-text rows) of the ones that stay as they were.
  const columns = Object.fromEntries(Object.entries(sent).filter(([field]) => field in changes)) as Omit<
    P,
    "tags"
  >;
  writeColumns(columns);
  if (tags) setTags(shard, record.type, record.id, tags);
  recordInteraction(shard, {
    actor,
    kind: `${record.type}.updated`,
    subjectType: record.type,
    subjectId: record.id,
    occurredAt: now,
    payload: { changes },
  });
}
