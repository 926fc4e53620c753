/**
 * One entry of the changes feed (GET /api/v1/t/<slug>/changes): something that happened to a
 * contact, company or deal, or to a note, task or logged activity on one, as another system
 * keeping a copy needs it. Built from one row of the interaction log (src/changes/read-changes.ts);
 * webhook deliveries are built from the same entries.
 */
export interface Change {
  /** The log entry's id: also the cursor to resume after this entry (`?after=<id>`). */
  id: string;
  type: ChangeType;
  /** When it happened, ISO 8601 in UTC. */
  occurredAt: string;
  /** What changed. For a note, task or activity, also the record it is on (`subject`). */
  object: ChangeObject;
  /** An update's changed fields (built-in names, custom fields as the log names them). */
  fields?: string[];
  /**
   * An update's changes, `{field: [old, new]}`; absent when an erasure emptied the entry, or
   * when the values cannot be told (an erasure removing a quote of the person: `fields` only).
   */
  changes?: Record<string, [unknown, unknown]>;
  /** A merge's duplicate, folded into `object` and gone: a mirror drops it. */
  mergedId?: string;
  /** A logged activity's kind (`call`, `meeting`, `email`). */
  activityKind?: string;
  /** Who did it: a user, an API key, or the system (id null). */
  actor: { type: "user" | "api_key" | "system"; id: string | null };
}

export type RecordObjectType = "contact" | "company" | "deal";
export type ChangeObjectType = RecordObjectType | "note" | "task" | "activity";

export interface ChangeObject {
  type: ChangeObjectType;
  id: string;
  /** The record a note, task or activity is on (absent for a task about nothing). */
  subject?: { type: RecordObjectType; id: string };
}

/** Every type the feed can carry, in the documented order. */
export const CHANGE_TYPES = [
  "contact.created",
  "contact.updated",
  "contact.deleted",
  "contact.merged",
  "contact.erased",
  "company.created",
  "company.updated",
  "company.deleted",
  "company.merged",
  "deal.created",
  "deal.updated",
  "deal.deleted",
  "deal.stage_changed",
  "deal.won",
  "deal.lost",
  "note.created",
  "note.updated",
  "note.deleted",
  "task.completed",
  "task.deleted",
  "activity.created",
  "activity.updated",
  "activity.deleted",
] as const;

export type ChangeType = (typeof CHANGE_TYPES)[number];
