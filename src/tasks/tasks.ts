import { ownerIssue } from "../auth/users.ts";
import { type FieldIssue, NotFoundError, ValidationError } from "../core/errors.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import { requireSubject, touchSubject } from "../interactions/subject.ts";
import type { Shard } from "../tenancy/shard.ts";
import { versionedCache } from "../tenancy/versioned-cache.ts";
import type { TaskInput, TaskPatch } from "./task-input.ts";

/** A task with the names its lists show. */
export interface TaskRecord {
  id: number;
  title: string;
  dueAt: number | null;
  assigneeId: number | null;
  assigneeName: string | null;
  subjectType: "contact" | "company" | "deal" | null;
  subjectId: number | null;
  subjectName: string | null;
  completedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A task as the API answers it: times in ISO 8601, `completed` spelled out. */
export function taskJson(t: TaskRecord) {
  return {
    id: t.id,
    title: t.title,
    dueAt: t.dueAt === null ? null : new Date(t.dueAt).toISOString(),
    assigneeId: t.assigneeId,
    subjectType: t.subjectType,
    subjectId: t.subjectId,
    completed: t.completedAt !== null,
    completedAt: t.completedAt === null ? null : new Date(t.completedAt).toISOString(),
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}

/** Reads TaskRecords from `tasks t`: add a WHERE on t's columns (the names come from one row each). */
export const TASK_SELECT = `SELECT t.id, t.title, t.due_at AS dueAt, t.assignee_id AS assigneeId, u.name AS assigneeName,
  t.subject_type AS subjectType, t.subject_id AS subjectId,
  CASE t.subject_type
    WHEN 'contact' THEN (SELECT trim(first_name || ' ' || last_name) FROM contacts WHERE id = t.subject_id)
    WHEN 'company' THEN (SELECT name FROM companies WHERE id = t.subject_id)
    WHEN 'deal' THEN (SELECT title FROM deals WHERE id = t.subject_id) END AS subjectName,
  t.completed_at AS completedAt, t.created_at AS createdAt, t.updated_at AS updatedAt
  FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id`;

export function getTask(shard: Shard, id: number): TaskRecord {
  const task = shard.statement(`${TASK_SELECT} WHERE t.id = ?`).get(id) as TaskRecord | null;
  if (!task) throw new NotFoundError("task");
  return task;
}

function linkIssues(shard: Shard, input: Partial<TaskInput>): FieldIssue[] {
  const issues = ownerIssue(shard, input.assigneeId, "assigneeId");
  if ((input.subjectType == null) !== (input.subjectId == null)) {
    issues.push({ field: "subjectId", message: "subjectType and subjectId go together" });
  } else if (input.subjectType && input.subjectId) {
    try {
      requireSubject(shard, { type: input.subjectType, id: input.subjectId });
    } catch {
      issues.push({ field: "subjectId", message: `is not a ${input.subjectType} of this workspace` });
    }
  }
  return issues;
}

export function createTask(shard: Shard, actor: Actor, input: TaskInput, now = Date.now()): TaskRecord {
  const id = shard.transaction(() => {
    const issues = linkIssues(shard, input);
    if (issues.length) throw new ValidationError(issues);
    const row = shard
      .statement(
        `INSERT INTO tasks (title, due_at, assignee_id, subject_type, subject_id, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(
        input.title,
        input.dueAt ? Date.parse(input.dueAt) : null,
        input.assigneeId ?? null,
        input.subjectType ?? null,
        input.subjectId ?? null,
        actor.type === "user" ? actor.id : null,
        now,
        now,
      ) as { id: number };
    touchTaskSubject(shard, input, now);
    return row.id;
  });
  return getTask(shard, id);
}

/**
 * Touches the record a task is on (creating, completing, reopening or deleting it is news about
 * that record to whoever syncs by updatedSince); a task about nothing touches nothing.
 */
function touchTaskSubject(
  shard: Shard,
  task: Pick<TaskInput, "subjectType" | "subjectId">,
  now: number,
): void {
  if (task.subjectType && task.subjectId)
    touchSubject(shard, { type: task.subjectType, id: task.subjectId }, now);
}

/** Logs what was done to a task where it shows: on its record's timeline, or on the task itself. */
function logTask(
  shard: Shard,
  actor: Actor,
  task: TaskRecord,
  kind: "task.completed" | "task.deleted",
  now: number,
) {
  recordInteraction(shard, {
    actor,
    kind,
    subjectType: task.subjectType ?? "task",
    subjectId: task.subjectId ?? task.id,
    occurredAt: now,
    payload: { taskId: task.id, title: task.title },
  });
}

/**
 * Marks a task done (or not done again) and, on completion, logs `task.completed` on the
 * record it is about (on the task itself when it is about nothing), in one transaction.
 */
export function setTaskCompleted(
  shard: Shard,
  actor: Actor,
  id: number,
  completed: boolean,
  now = Date.now(),
): TaskRecord {
  shard.transaction(() => {
    const task = getTask(shard, id);
    if ((task.completedAt !== null) === completed) return;
    shard
      .statement("UPDATE tasks SET completed_at = ?, completed_by = ?, updated_at = ? WHERE id = ?")
      .run(completed ? now : null, completed && actor.type === "user" ? actor.id : null, now, id);
    touchTaskSubject(shard, task, now);
    if (completed) {
      logTask(shard, actor, task, "task.completed", now);
    }
  });
  return getTask(shard, id);
}

export function updateTask(
  shard: Shard,
  actor: Actor,
  id: number,
  patch: TaskPatch,
  now = Date.now(),
): TaskRecord {
  shard.transaction(() => {
    const before = getTask(shard, id);
    const merged = {
      subjectType: patch.subjectType === undefined ? before.subjectType : patch.subjectType,
      subjectId: patch.subjectId === undefined ? before.subjectId : patch.subjectId,
      assigneeId: patch.assigneeId,
    };
    const issues = linkIssues(shard, merged);
    if (issues.length) throw new ValidationError(issues);
    shard
      .statement(
        `UPDATE tasks SET title = ?, due_at = ?, assignee_id = ?, subject_type = ?, subject_id = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        patch.title ?? before.title,
        patch.dueAt === undefined ? before.dueAt : patch.dueAt === null ? null : Date.parse(patch.dueAt),
        patch.assigneeId === undefined ? before.assigneeId : patch.assigneeId,
        merged.subjectType,
        merged.subjectId,
        now,
        id,
      );
    if (patch.completed !== undefined) setTaskCompleted(shard, actor, id, patch.completed, now);
  });
  return getTask(shard, id);
}

/** Deletes a task and logs `task.deleted` (its title) where `task.completed` would go: its record, or the task itself. */
export function deleteTask(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  shard.transaction(() => {
    const task = getTask(shard, id);
    shard.statement("DELETE FROM tasks WHERE id = ?").run(id);
    touchTaskSubject(shard, task, now);
    logTask(shard, actor, task, "task.deleted", now);
  });
}

/** Someone's open tasks, by when they are due. */
/** A group of the "My tasks" page: its first tasks in due order, and how many there are in all. */
export interface TaskBucket {
  tasks: TaskRecord[];
  total: number;
}

export interface TaskBuckets {
  overdue: TaskBucket;
  today: TaskBucket;
  upcoming: TaskBucket;
  someday: TaskBucket;
  /** Recently completed, newest first. */
  done: TaskRecord[];
}

/** The most tasks a group of the "My tasks" page shows (its header says how many there are). */
export const TASKS_PER_BUCKET = 50;

/**
 * The "My tasks" page: open tasks split around today (`today` is the viewer's day, in their time
 * zone), each group read on its own, the first TASKS_PER_BUCKET in due order (oldest overdue
 * first), with the group's true size from one pass over the assignee's open tasks in the
 * index. A user with thousands of overdue tasks still sees today's and the coming ones.
 */
export function tasksFor(
  shard: Shard,
  assigneeId: number,
  today: { start: number; end: number },
): TaskBuckets {
  const open = `${TASK_SELECT} WHERE t.assignee_id = ? AND t.completed_at IS NULL`;
  const dated = (where: string, ...bounds: number[]) =>
    shard
      .statement(`${open} AND ${where} ORDER BY t.due_at, t.id LIMIT ${TASKS_PER_BUCKET}`)
      .all(assigneeId, ...bounds) as TaskRecord[];
  const counts = shard
    .statement(
      `SELECT count(*) FILTER (WHERE due_at < ?1) AS overdue,
              count(*) FILTER (WHERE due_at >= ?1 AND due_at < ?2) AS today,
              count(*) FILTER (WHERE due_at >= ?2) AS upcoming,
              count(*) FILTER (WHERE due_at IS NULL) AS someday
         FROM tasks WHERE assignee_id = ?3 AND completed_at IS NULL`,
    )
    .get(today.start, today.end, assigneeId) as Record<"overdue" | "today" | "upcoming" | "someday", number>;
  const done = shard
    .statement(
      `${TASK_SELECT} WHERE t.assignee_id = ? AND t.completed_at IS NOT NULL ORDER BY t.completed_at DESC LIMIT 20`,
    )
    .all(assigneeId) as TaskRecord[];
  return {
    overdue: { tasks: dated("t.due_at < ?", today.start), total: counts.overdue },
    today: { tasks: dated("t.due_at >= ? AND t.due_at < ?", today.start, today.end), total: counts.today },
    upcoming: { tasks: dated("t.due_at >= ?", today.end), total: counts.upcoming },
    someday: {
      tasks: shard
        .statement(`${open} AND t.due_at IS NULL ORDER BY t.id LIMIT ${TASKS_PER_BUCKET}`)
        .all(assigneeId) as TaskRecord[],
      total: counts.someday,
    },
    done,
  };
}

/** How many of someone's open tasks are due before the end of today: the reminder badge. */
export function dueTaskCount(shard: Shard, assigneeId: number, endOfToday: number): number {
  // Every page's badge: counting a busy user's open tasks reads thousands of index entries, so
  // the count is kept per shard version (any write recounts) and per day.
  return versionedCache(shard, "due-tasks", `${assigneeId}:${endOfToday}`, 64, () => {
    const row = shard
      .statement(
        "SELECT count(*) AS n FROM tasks WHERE assignee_id = ? AND completed_at IS NULL AND due_at < ?",
      )
      .get(assigneeId, endOfToday) as { n: number };
    return row.n;
  });
}

/** The tasks on a record: open first, by due date. */
export function tasksAbout(shard: Shard, subjectType: string, subjectId: number): TaskRecord[] {
  return shard
    .statement(
      `${TASK_SELECT} WHERE t.subject_type = ? AND t.subject_id = ?
       ORDER BY t.completed_at IS NOT NULL, t.due_at IS NULL, t.due_at, t.id LIMIT 100`,
    )
    .all(subjectType, subjectId) as TaskRecord[];
}
