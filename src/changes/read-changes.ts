import { ACTIVITY_KINDS } from "../interactions/kinds.ts";
import type { Shard } from "../tenancy/shard.ts";
import {
  CHANGE_TYPES,
  type Change,
  type ChangeObject,
  type ChangeType,
  type RecordObjectType,
} from "./change.ts";

/** The most entries one read returns (and the most log rows it reads). */
export const MAX_CHANGES_LIMIT = 1000;

/**
 * The log kinds the feed carries: every change type as logged, and the hand-logged activities
 * (`call`, `meeting`, `email`), which it calls `activity.created`. Integration events live in
 * the `events` table and are never read here.
 */
const FEED_KINDS: readonly string[] = [
  ...CHANGE_TYPES.filter((type) => type !== "activity.created"),
  ...ACTIVITY_KINDS,
];
const ACTIVITY = new Set<string>(ACTIVITY_KINDS);

/**
 * One statement, so the page and its bound are read from one snapshot: `bound` is the id of the
 * last of the next `limit` log rows of any kind (a walk of the primary key, no payloads), and
 * the rows of the feed's kinds up to it are joined from the same primary-key range. A row
 * always comes back (the bound, with NULL columns when none of its kinds matched), so a page
 * holding only entries the feed skips still moves the cursor on.
 */
const PAGE_SQL = `WITH bound(last) AS (
    SELECT max(id) FROM (SELECT id FROM interactions WHERE id > ?1 ORDER BY id LIMIT ?2))
  SELECT bound.last AS last, i.id, i.occurred_at AS occurredAt, i.actor_type AS actorType,
    i.actor_id AS actorId, i.kind, i.subject_type AS subjectType, i.subject_id AS subjectId, i.payload
  FROM bound LEFT JOIN interactions i
    ON i.id > ?1 AND i.id <= bound.last AND i.kind IN (${FEED_KINDS.map((k) => `'${k}'`).join(", ")})
  ORDER BY i.id`;

interface LogRow {
  last: number | null;
  id: number | null;
  occurredAt: number;
  actorType: Change["actor"]["type"];
  actorId: number | null;
  kind: string;
  subjectType: string;
  subjectId: number;
  payload: string;
}

/**
 * The feed's entries after log id `after`, oldest first, reading at most `limit` (1..1000,
 * clamped) log rows by primary key. `nextCursor` is the id of the last row read, whatever its
 * kind, or `after` when there is nothing new: a client polls with it and never misses an entry
 * (ids only grow; a row committed later has a larger id). Entries an erasure emptied so far
 * that they no longer name their note, task or activity are left out (`contact.erased` tells a
 * mirror to drop the person and everything on them).
 */
export function readChanges(
  shard: Shard,
  after: number,
  limit: number,
): { data: Change[]; nextCursor: string } {
  const size = Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_CHANGES_LIMIT);
  const rows = shard.statement(PAGE_SQL).all(after, size) as LogRow[];
  const data: Change[] = [];
  for (const row of rows) {
    if (row.id === null) continue;
    const change = changeOf(row);
    if (change) data.push(change);
  }
  const last = rows[0]?.last;
  return { data, nextCursor: String(last ?? after) };
}

/**
 * The largest id the log has ever handed out: AUTOINCREMENT's high-water mark in sqlite_sequence
 * (0 before the first entry), not max(id), since entries can be deleted (an activity removed,
 * an import cancelled) and a nextCursor may name one that went. Events take their ids from the
 * same sequence (src/events/log-ids.ts), so every cursor the feed answered is at most this.
 */
export function logHighWater(shard: Shard): number {
  const row = shard.statement("SELECT seq FROM sqlite_sequence WHERE name = 'interactions'").get() as {
    seq: number;
  } | null;
  return row?.seq ?? 0;
}

function parsePayload(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** A positive integer id in a payload, as a string; undefined when absent (an erased entry). */
function idIn(payload: Record<string, unknown>, key: string): string | undefined {
  const value = payload[key];
  return typeof value === "number" && Number.isSafeInteger(value) ? String(value) : undefined;
}

/** The feed entry for one log row, or undefined when it can no longer say what it was about. */
function changeOf(row: LogRow): Change | undefined {
  const payload = parsePayload(row.payload);
  const subject = { type: row.subjectType as RecordObjectType, id: String(row.subjectId) };
  const id = String(row.id);
  const occurredAt = new Date(row.occurredAt).toISOString();
  const actor = { type: row.actorType, id: row.actorId === null ? null : String(row.actorId) };
  const on = (type: ChangeType, object: ChangeObject, extra: Partial<Change> = {}): Change => ({
    id,
    type,
    occurredAt,
    object,
    ...extra,
    actor,
  });
  if (ACTIVITY.has(row.kind)) {
    return on("activity.created", { type: "activity", id, subject }, { activityKind: row.kind });
  }
  const type = row.kind as ChangeType;
  const [what, verb] = row.kind.split(".") as [string, string];
  switch (what) {
    case "note": {
      const noteId = idIn(payload, "noteId");
      return noteId ? on(type, { type: "note", id: noteId, subject }) : undefined;
    }
    case "task": {
      // Logged on the task itself when it is about no record, else on its record.
      if (row.subjectType === "task") return on(type, { type: "task", id: subject.id });
      const taskId = idIn(payload, "taskId");
      return taskId ? on(type, { type: "task", id: taskId, subject }) : undefined;
    }
    case "activity": {
      const id = idIn(payload, "activityId");
      const activityKind = typeof payload.kind === "string" ? payload.kind : undefined;
      return id
        ? on(type, { type: "activity", id, subject }, activityKind ? { activityKind } : {})
        : undefined;
    }
  }
  const object = { type: what as RecordObjectType, id: subject.id };
  if (verb === "updated") return on(type, object, updateOf(payload.changes, payload.fields));
  if (verb === "merged") {
    const mergedId = idIn(payload, "mergedId");
    return on(type, object, mergedId ? { mergedId } : {});
  }
  if (type === "deal.stage_changed") {
    const from = payload.fromStageId;
    const to = payload.toStageId;
    if (typeof from === "number" && typeof to === "number")
      return on(type, object, { fields: ["stageId"], changes: { stageId: [from, to] } });
  }
  return on(type, object);
}

/**
 * An update's `fields` and `changes` from its logged `{field: [old, new]}` (none once erased), or
 * only `fields` from a logged list of names (an erasure's scrub of other records: no values).
 */
function updateOf(logged: unknown, names: unknown): Partial<Change> {
  if (Array.isArray(names) && names.length && names.every((n) => typeof n === "string"))
    return { fields: names as string[] };
  if (!logged || typeof logged !== "object" || Array.isArray(logged)) return {};
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [field, pair] of Object.entries(logged)) {
    if (Array.isArray(pair) && pair.length === 2) changes[field] = [pair[0], pair[1]];
  }
  const fields = Object.keys(changes);
  return fields.length ? { fields, changes } : {};
}
