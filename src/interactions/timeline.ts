import { requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type HistoryNames, historyNames } from "./history-names.ts";
import type { SubjectType } from "./kinds.ts";

/** One line of a record's timeline, with the names it shows beside the logged facts. */
export interface TimelineEntry {
  id: number;
  occurredAt: number;
  kind: string;
  subjectType: SubjectType;
  subjectId: number;
  /** The subject's name today (null if it is gone). */
  subjectName: string | null;
  actorType: "user" | "api_key" | "system";
  actorName: string | null;
  payload: Record<string, unknown>;
  /** For note.created: the note as it is now (null if deleted since). */
  noteBody: string | null;
}

/** An interaction as the API answers it (the names a page shows beside it are left out). */
export function interactionJson(e: TimelineEntry) {
  return {
    id: e.id,
    occurredAt: new Date(e.occurredAt).toISOString(),
    kind: e.kind,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    actorType: e.actorType,
    actorName: e.actorName,
    payload: e.payload,
  };
}

export interface TimelinePage {
  entries: TimelineEntry[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextBefore: number | null;
  /** The users, records and field labels the entries' changes name by id or key (one query per page). */
  names: HistoryNames;
}

export interface TimelineOptions {
  before?: number;
  limit?: number;
  /** Only changes to records (created, updated, deleted, merged, moved, won, lost): the history. */
  changesOnly?: boolean;
}

/** Interaction kinds that are changes to records, for the history views. */
export const CHANGE_KIND_PATTERNS = [
  "%.created",
  "%.updated",
  "%.deleted",
  "%.merged",
  "%.erased",
  "deal.stage_changed",
  "deal.won",
  "deal.lost",
];

// A note or a task is written, not a change to its record: `note.created`, `note.updated`,
// `note.deleted`, `task.deleted` (and a logged call's correction, `activity.updated` and
// `activity.deleted`) match the patterns above but belong with calls and tasks under
// Everything, never in History or the audit log's Changes.
const CHANGES = `(${CHANGE_KIND_PATTERNS.map(() => "i.kind LIKE ?").join(" OR ")}) AND i.kind NOT LIKE 'note.%' AND i.kind NOT LIKE 'task.%' AND i.kind NOT LIKE 'activity.%'`;

/**
 * Which interactions belong on a record's timeline: its own, and for a contact those of its
 * deals, for a company those of its people and its deals (each an index range on
 * (subject_type, subject_id, id)).
 */
function scope(type: SubjectType | "all"): string {
  switch (type) {
    case "contact":
      return `((i.subject_type = 'contact' AND i.subject_id = ?1)
        OR (i.subject_type = 'deal' AND i.subject_id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = ?1)))`;
    case "company":
      return `((i.subject_type = 'company' AND i.subject_id = ?1)
        OR (i.subject_type = 'contact' AND i.subject_id IN (SELECT id FROM contacts WHERE company_id = ?1))
        OR (i.subject_type = 'deal' AND i.subject_id IN (SELECT id FROM deals WHERE company_id = ?1)))`;
    case "deal":
      return "(i.subject_type = 'deal' AND i.subject_id = ?1)";
    case "task":
      return "(i.subject_type = 'task' AND i.subject_id = ?1)";
    case "all":
      return "?1 IS NOT NULL";
  }
}

const SELECT = `SELECT i.id, i.occurred_at AS occurredAt, i.kind, i.subject_type AS subjectType, i.subject_id AS subjectId,
  i.actor_type AS actorType, i.payload,
  CASE i.actor_type WHEN 'user' THEN (SELECT name FROM users WHERE id = i.actor_id)
    WHEN 'api_key' THEN (SELECT name FROM api_keys WHERE id = i.actor_id) END AS actorName,
  CASE i.subject_type
    WHEN 'contact' THEN (SELECT trim(first_name || ' ' || last_name) FROM contacts WHERE id = i.subject_id)
    WHEN 'company' THEN (SELECT name FROM companies WHERE id = i.subject_id)
    WHEN 'deal' THEN (SELECT title FROM deals WHERE id = i.subject_id)
    WHEN 'task' THEN (SELECT title FROM tasks WHERE id = i.subject_id) END AS subjectName,
  CASE WHEN i.kind = 'note.created' THEN (SELECT body FROM notes WHERE id = json_extract(i.payload, '$.noteId')) END AS noteBody
  FROM interactions i`;

type Row = Omit<TimelineEntry, "payload"> & { payload: string };

function read(shard: Shard, rows: Row[], limit: number): TimelinePage {
  const entries = rows
    .slice(0, limit)
    .map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  let names: HistoryNames | undefined;
  return {
    entries,
    nextBefore: rows.length > limit ? (entries.at(-1)?.id ?? null) : null,
    // Resolved when a page reads them (the API answers ids and never does).
    get names() {
      names ??= historyNames(shard, entries);
      return names;
    },
  };
}

/**
 * A record's timeline, newest first, keyset-paginated on the interaction id (which only
 * grows), so older pages cost what the first does.
 */
export function timeline(
  shard: Shard,
  subject: { type: SubjectType; id: number },
  options: TimelineOptions = {},
): TimelinePage {
  return query(shard, scope(subject.type), subject.id, options);
}

/** One timeline entry by its interaction id (for showing what was just logged). */
export function timelineEntryById(shard: Shard, id: number): TimelineEntry | undefined {
  const row = shard.statement(`${SELECT} WHERE i.id = ?`).get(id) as Row | null;
  return row ? { ...row, payload: JSON.parse(row.payload) as Record<string, unknown> } : undefined;
}

/** Every interaction in the workspace (the tenant-wide audit log), newest first: admins and owners only. */
export function workspaceLog(shard: Shard, actor: Actor, options: TimelineOptions = {}): TimelinePage {
  requireRole(actor.role, "admin");
  return query(shard, scope("all"), 1, options);
}

function query(shard: Shard, where: string, subjectId: number, options: TimelineOptions): TimelinePage {
  const limit = options.limit ?? 20;
  const conditions = [where];
  const params: (number | string)[] = [];
  if (options.before !== undefined) {
    conditions.push("i.id < ?");
    params.push(options.before);
  }
  if (options.changesOnly) {
    conditions.push(CHANGES);
    params.push(...CHANGE_KIND_PATTERNS);
  }
  const rows = shard
    .statement(`${SELECT} WHERE ${conditions.join(" AND ")} ORDER BY i.id DESC LIMIT ?`)
    .all(subjectId, ...params, limit + 1) as Row[];
  return read(shard, rows, limit);
}
