import { ValidationError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import type { KindRecord, MergeableKind } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";
import { combinedTags, customValuesFromDuplicate, fieldsFromDuplicate } from "./merge-choices.ts";
import type { MergeInput } from "./merge-input.ts";
import { relinkSubject } from "./relink-subject.ts";

/**
 * What only one kind knows about merging: what else links to the duplicate (a contact's
 * deals, a company's people and deals), moved to the survivor before the duplicate is deleted.
 */
export type Relink = (shard: Shard, duplicateId: number, survivorId: number, now: number) => void;

/**
 * The duplicate's externalId, for a survivor that has none: the other system that knew the
 * duplicate by it then finds the survivor (an upsert by it would otherwise create the record
 * again). A survivor with its own keeps it. Taken after the duplicate is deleted (ids are unique).
 */
function externalIdFromDuplicate(survivor: object, duplicate: object): { externalId?: string } {
  const of = (record: object) => (record as { externalId?: string | null }).externalId ?? null;
  const theirs = of(duplicate);
  return of(survivor) === null && theirs !== null ? { externalId: theirs } : {};
}

/**
 * Folds the duplicate into the survivor; call it inside the merge's transaction, so any
 * failure changes nothing. The survivor takes the chosen fields and custom values, both
 * records' tags, and what links to the duplicate (`relink`, then its notes, tasks and
 * timeline); the duplicate is deleted; `<type>.merged` {mergedId, name} is logged on the
 * survivor, then `<type>.updated` if its fields changed (a survivor without an externalId
 * takes the duplicate's). 404 if either record is not in this
 * workspace; 422 for a record merged with itself.
 */
export function foldDuplicate<R extends KindRecord>(
  shard: Shard,
  actor: Actor,
  kind: MergeableKind<R>,
  relink: Relink,
  input: MergeInput,
  now: number,
): void {
  const survivor = kind.get(shard, input.survivorId);
  const duplicate = kind.get(shard, input.duplicateId);
  if (survivor.id === duplicate.id) {
    throw new ValidationError([
      { field: "duplicateId", message: `must be another ${kind.type} than this one` },
    ]);
  }
  const patch = {
    ...fieldsFromDuplicate(kind.merge.fields, survivor, duplicate, input.keep),
    ...externalIdFromDuplicate(survivor, duplicate),
    tags: combinedTags(survivor.tags, duplicate.tags),
    customFields: customValuesFromDuplicate(shard, kind.type, survivor.id, duplicate.id, input.keep),
  };
  relink(shard, duplicate.id, survivor.id, now);
  relinkSubject(shard, kind.type, duplicate.id, survivor.id, now);
  // Deleted here rather than through the kind's delete: `<type>.merged` on the survivor says
  // where it went, and a `<type>.deleted` would count a record as lost that was not. Its tag
  // links go by cascade; everything else was moved above. Deleting before the update also
  // frees the duplicate's email for the survivor, should emails ever become unique.
  shard.statement(`DELETE FROM ${kind.table.name} WHERE id = ?`).run(duplicate.id);
  recordInteraction(shard, {
    actor,
    kind: `${kind.type}.merged`,
    subjectType: kind.type,
    subjectId: survivor.id,
    occurredAt: now,
    payload: { mergedId: duplicate.id, name: kind.name(duplicate) },
  });
  kind.update(shard, actor, survivor.id, patch, now);
}
