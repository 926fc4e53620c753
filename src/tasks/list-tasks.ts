import type { RecordType } from "../core/record-types.ts";
import type { Shard } from "../tenancy/shard.ts";
import { TASK_SELECT, type TaskRecord } from "./tasks.ts";

/** Which tasks the API's list shows; every filter is optional. */
export interface TaskListFilter {
  assigneeId?: number;
  completed?: boolean;
  subjectType?: RecordType;
  subjectId?: number;
  /** Only tasks changed at or after this time (epoch ms). */
  updatedSince?: number;
  /** Only tasks older than this id (the previous page's `nextCursor`). */
  cursor?: number;
  limit: number;
}

export interface TaskListPage {
  tasks: TaskRecord[];
  /** The last task's id when there are more; null at the end. */
  nextCursor: number | null;
}

/**
 * The workspace's tasks, newest first, a page at a time: one keyset query (`id < cursor`) that
 * reads each task with its names, one more row than asked telling whether another page follows.
 * Each filter adds a fixed condition with a bound value, so a shape is prepared once per shard.
 */
export function listTasks(shard: Shard, filter: TaskListFilter): TaskListPage {
  const conditions: string[] = [];
  const values: (string | number)[] = [];
  const exact: [string, string | number | undefined][] = [
    ["t.assignee_id = ?", filter.assigneeId],
    ["t.subject_type = ?", filter.subjectType],
    ["t.subject_id = ?", filter.subjectId],
    ["t.updated_at >= ?", filter.updatedSince],
    ["t.id < ?", filter.cursor],
  ];
  for (const [condition, value] of exact) {
    if (value === undefined) continue;
    conditions.push(condition);
    values.push(value);
  }
  if (filter.completed !== undefined)
    conditions.push(filter.completed ? "t.completed_at IS NOT NULL" : "t.completed_at IS NULL");
  const where = conditions.length ? conditions.join(" AND ") : "1 = 1";
  const rows = shard
    .statement(`${TASK_SELECT} WHERE ${where} ORDER BY t.id DESC LIMIT ?`)
    .all(...values, filter.limit + 1) as TaskRecord[];
  const tasks = rows.slice(0, filter.limit);
  return { tasks, nextCursor: rows.length > filter.limit ? (tasks.at(-1)?.id ?? null) : null };
}
