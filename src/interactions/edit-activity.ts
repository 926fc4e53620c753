import { ForbiddenError, NotFoundError } from "../core/errors.ts";
import { hasRole, requireRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { ACTIVITY_KINDS, type ActivityKind } from "./kinds.ts";
import { recordInteraction } from "./record-interaction.ts";
import { type Subject, touchSubject } from "./subject.ts";

/** A call, meeting or email logged by hand: a row of the interaction log. */
export interface ActivityRecord {
  id: number;
  kind: ActivityKind;
  subject: Subject;
  occurredAt: number;
  summary: string;
  direction: "inbound" | "outbound" | null;
  /** Who logged it (a user's id), null for an API key or the system. */
  authorId: number | null;
}

export interface ActivityChange {
  summary: string;
  direction?: "inbound" | "outbound";
  /** ISO 8601; unchanged when absent. */
  occurredAt?: string;
}

interface Row {
  id: number;
  kind: string;
  subjectType: string;
  subjectId: number;
  occurredAt: number;
  actorType: string;
  actorId: number | null;
  payload: string;
}

const KINDS: readonly string[] = ACTIVITY_KINDS;

/** A logged activity of this workspace; anything else (a system entry, a note, another id) is a 404. */
export function getActivity(shard: Shard, id: number): ActivityRecord {
  const row = shard
    .statement(
      `SELECT id, kind, subject_type AS subjectType, subject_id AS subjectId, occurred_at AS occurredAt,
         actor_type AS actorType, actor_id AS actorId, payload FROM interactions WHERE id = ?`,
    )
    .get(id) as Row | null;
  if (!row || !KINDS.includes(row.kind)) throw new NotFoundError("activity");
  let payload: { summary?: unknown; direction?: unknown } = {};
  try {
    payload = JSON.parse(row.payload);
  } catch {
    // An unreadable payload reads as an empty summary, which an edit may then set.
  }
  return {
    id: row.id,
    kind: row.kind as ActivityKind,
    subject: { type: row.subjectType as Subject["type"], id: row.subjectId },
    occurredAt: row.occurredAt,
    summary: typeof payload.summary === "string" ? payload.summary : "",
    direction: payload.direction === "inbound" || payload.direction === "outbound" ? payload.direction : null,
    authorId: row.actorType === "user" ? row.actorId : null,
  };
}

/** Whether `actor` may correct or remove `activity`: who logged it, or an admin or owner (ADR 0005). */
export function mayChangeActivity(actor: Actor, activity: ActivityRecord): boolean {
  if (hasRole(actor.role, "admin")) return true;
  return hasRole(actor.role, "member") && actor.type === "user" && actor.id === activity.authorId;
}

function requireMayChange(actor: Actor, activity: ActivityRecord): void {
  requireRole(actor.role, "member");
  if (!mayChangeActivity(actor, activity))
    throw new ForbiddenError(`only who logged this ${activity.kind}, an admin or the owner may change it`);
}

/**
 * Corrects a hand-logged activity in place (its summary, direction, and when it happened) and
 * logs `activity.updated` {activityId, kind} on its record, by whom and when, in one
 * transaction; nothing is logged when nothing changed. One of the log's three rewrites
 * (docs/decisions/0005): the nightly export re-reads the workspace whole after it.
 */
export function updateActivity(
  shard: Shard,
  actor: Actor,
  id: number,
  change: ActivityChange,
  now = Date.now(),
): ActivityRecord {
  return shard.transaction(() => {
    const before = getActivity(shard, id);
    requireMayChange(actor, before);
    const direction = before.kind === "meeting" ? undefined : change.direction;
    const occurredAt = change.occurredAt ? Date.parse(change.occurredAt) : before.occurredAt;
    const payload = { summary: change.summary, ...(direction ? { direction } : {}) };
    const same =
      before.summary === change.summary &&
      before.direction === (direction ?? null) &&
      before.occurredAt === occurredAt;
    if (same) return before;
    shard
      .statement("UPDATE interactions SET payload = ?, occurred_at = ? WHERE id = ?")
      .run(JSON.stringify(payload), occurredAt, id);
    touchSubject(shard, before.subject, now);
    recordInteraction(shard, {
      actor,
      kind: "activity.updated",
      subjectType: before.subject.type,
      subjectId: before.subject.id,
      occurredAt: now,
      payload: { activityId: id, kind: before.kind },
    });
    return getActivity(shard, id);
  });
}

/** Removes a hand-logged activity and logs `activity.deleted` {activityId, kind} on its record, in one transaction. */
export function deleteActivity(shard: Shard, actor: Actor, id: number, now = Date.now()): ActivityRecord {
  return shard.transaction(() => {
    const activity = getActivity(shard, id);
    requireMayChange(actor, activity);
    shard.statement("DELETE FROM interactions WHERE id = ?").run(id);
    touchSubject(shard, activity.subject, now);
    recordInteraction(shard, {
      actor,
      kind: "activity.deleted",
      subjectType: activity.subject.type,
      subjectId: activity.subject.id,
      occurredAt: now,
      payload: { activityId: id, kind: activity.kind },
    });
    return activity;
  });
}
