import { NotFoundError, ValidationError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { matchingIds } from "../lists/keyset-query.ts";
import { parseListParams } from "../lists/list-params.ts";
import type { Filter } from "../lists/record-filter.ts";
import type { RecordKind } from "../records/record-kind.ts";
import { MAX_TAGS } from "../tags/tag-input.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type BulkAction, type BulkCondition, type BulkTarget, MAX_BULK_RECORDS } from "./bulk-input.ts";

export interface BulkResult {
  /** Records chosen. */
  matched: number;
  /** Records actually changed (adding a tag a record already has changes nothing). */
  changed: number;
}

/**
 * A filter target's SQL (undefined for a selection of ids): the list's own parameters and
 * allow-list, so a bad filter is a 400 naming it. Cheap (no rows read): the server's thread
 * checks it before handing the change to a worker. `from` "api": the API's list rule too, so
 * `{"email": ""}` is a 400, never a change to every record (a form's blank field is "not given").
 */
export function targetFilter(
  shard: Shard,
  kind: RecordKind,
  target: BulkTarget,
  from: true | "api" = true,
): Filter | undefined {
  if (target.ids || target.condition) return undefined;
  const { cursor: _cursor, limit: _limit, sort: _sort, order: _order, ...filters } = target.filter ?? {};
  return kind.filter(shard, parseListParams(kind.listParams, filters, from));
}

/**
 * The ids a bulk change targets. A selection must exist entirely in this workspace (an id
 * from elsewhere is simply not in this file: 404, nothing changed); a filter is the list's own
 * (same parameters, same allow-list) and may match at most MAX_BULK_RECORDS records.
 */
export function bulkTargetIds(shard: Shard, kind: RecordKind, target: BulkTarget): number[] {
  if (target.condition) return conditionIds(shard, kind, target.condition);
  const filter = targetFilter(shard, kind, target);
  if (!filter) {
    const ids = [...new Set(target.ids)];
    const found = shard
      .statement(
        `SELECT count(*) FROM ${kind.table.from} WHERE ${kind.table.alias}.id IN (SELECT value FROM json_each(?))`,
      )
      .values(JSON.stringify(ids))[0]?.[0] as number;
    if (found !== ids.length) throw new NotFoundError(kind.type);
    return ids;
  }
  const { from, alias } = kind.table;
  const ids = matchingIds(shard, from, alias, filter, MAX_BULK_RECORDS + 1);
  if (ids.length > MAX_BULK_RECORDS) {
    throw new ValidationError([
      { field: "filter", message: `more than ${MAX_BULK_RECORDS} ${kind.path} match; narrow the filter` },
    ]);
  }
  return ids;
}

/** The ids a feature's condition holds (at most MAX_BULK_RECORDS), read with a statement made for this change only. */
function conditionIds(shard: Shard, kind: RecordKind, condition: BulkCondition): number[] {
  const { from, alias } = kind.table;
  const statement = shard.sqlite.prepare(
    `SELECT ${alias}.id FROM ${from} WHERE ${condition.where} ORDER BY ${alias}.id LIMIT ?`,
  );
  try {
    const ids = statement.values(...condition.params, MAX_BULK_RECORDS + 1).map((row) => row[0] as number);
    if (ids.length > MAX_BULK_RECORDS) {
      throw new ValidationError([
        { field: "target", message: `more than ${MAX_BULK_RECORDS} ${kind.path} are in ${condition.noun}` },
      ]);
    }
    return ids;
  } finally {
    statement.finalize();
  }
}

/** Whether the action would change this record (no write, no log entry otherwise). */
function wouldChange(kind: RecordKind, shard: Shard, id: number, action: BulkAction): boolean {
  if (action.action === "delete") return true;
  const record = kind.get(shard, id);
  switch (action.action) {
    case "setOwner":
      return record.ownerId !== action.ownerId;
    case "addTag":
      return !record.tags.includes(action.tag as string);
    case "removeTag":
      return record.tags.includes(action.tag as string);
    case "moveStage":
      return kind.stages?.of(record) !== action.stageId;
  }
}

/**
 * Applies one action to every target in ONE transaction, through each record's own service
 * (validated and logged like a single change). Any failure — a stage of another pipeline, an
 * owner who left, too many tags — rolls everything back: a bulk change is all or nothing. It
 * reads and writes up to MAX_BULK_RECORDS records (~1 s for 5,000): run it in a worker, never
 * on the server's thread. The workspace's other writers wait for it (503, try again); its
 * readers do not.
 */
export function runBulk(
  shard: Shard,
  actor: Actor,
  kind: RecordKind,
  target: BulkTarget,
  action: BulkAction,
): BulkResult {
  if (action.action === "moveStage" && !kind.stages) {
    throw new ValidationError([{ field: "action", message: `${kind.path} have no stages` }]);
  }
  return shard.transaction(() => {
    const ids = bulkTargetIds(shard, kind, target);
    let changed = 0;
    for (const id of ids) {
      if (!wouldChange(kind, shard, id, action)) continue;
      changed++;
      if (action.action === "delete") kind.remove(shard, actor, id);
      else if (action.action === "setOwner") kind.update(shard, actor, id, { ownerId: action.ownerId });
      else if (action.action === "moveStage") kind.stages?.move(shard, actor, id, action.stageId as number);
      else {
        const tags = kind.get(shard, id).tags;
        const next =
          action.action === "addTag" ? [...tags, action.tag as string] : tags.filter((t) => t !== action.tag);
        if (next.length > MAX_TAGS) {
          throw new ValidationError([
            { field: "tag", message: `a ${kind.type} has at most ${MAX_TAGS} tags` },
          ]);
        }
        kind.update(shard, actor, id, { tags: next });
      }
    }
    return { matched: ids.length, changed };
  });
}
