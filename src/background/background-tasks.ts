import { hostname } from "node:os";
import { NotFoundError } from "../core/errors.ts";
import { hasRole } from "../identity/roles.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { BackgroundStatus, BackgroundTask } from "./schema.ts";

/**
 * This server process, as background tasks name the process running them: the same in every
 * thread of the process, different in the next one.
 */
export const RUNNER = `${hostname()}:${process.pid}`;

/**
 * Whether the process that ran a task is known to be gone: it ran on this machine and no
 * process has its id any more (a restart after a kill). A process on another machine cannot
 * be asked: its task is interrupted once it has been silent for SILENT_MS.
 */
export function runnerGone(runner: string | null): boolean {
  if (!runner || runner === RUNNER) return false;
  const at = runner.lastIndexOf(":");
  const pid = Number(runner.slice(at + 1));
  if (runner.slice(0, at) !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ESRCH";
  }
}

/** A task another process ran and stopped reporting on this long ago is shown as interrupted. */
const SILENT_MS = 60_000;

const COLUMNS = `id, kind, label, status, done, total, message, result, cancel_requested AS cancelRequested,
  runner, created_by AS createdBy, created_at AS createdAt, updated_at AS updatedAt, finished_at AS finishedAt`;

/** A background task as pages and the API show it. */
export interface BackgroundTaskView extends Omit<BackgroundTask, "result" | "cancelRequested"> {
  cancelRequested: boolean;
  result: unknown;
  /** Still queued or running, but its process is gone (a restart): it will not finish. */
  interrupted: boolean;
  finished: boolean;
}

function toView(row: BackgroundTask, now: number, running: (id: number) => boolean): BackgroundTaskView {
  const finished = row.status === "done" || row.status === "failed" || row.status === "cancelled";
  const ours = row.runner === RUNNER;
  const interrupted =
    !finished && (ours ? !running(row.id) : runnerGone(row.runner) || now - row.updatedAt > SILENT_MS);
  return {
    ...row,
    cancelRequested: Boolean(row.cancelRequested),
    result: row.result === null ? null : JSON.parse(row.result),
    interrupted,
    finished,
  };
}

/** Records a new task, queued, for `actor`; returns its id. */
export function createBackgroundTask(
  shard: Shard,
  actor: Actor,
  task: { kind: string; label: string; total?: number | null },
  now = Date.now(),
): number {
  const row = shard
    .statement(
      `INSERT INTO background_tasks (kind, label, status, total, runner, created_by, created_at, updated_at)
       VALUES (?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(task.kind, task.label, task.total ?? null, RUNNER, actor.id, now, now) as { id: number };
  return row.id;
}

/**
 * The task with `id`, if `actor` may see it: whoever started it, and owners and admins; any
 * other id (another workspace's, another person's) is a 404. `running` tells whether this
 * process still runs a task (see startInBackground).
 */
export function getBackgroundTask(
  shard: Shard,
  actor: Actor,
  id: number,
  running: (id: number) => boolean,
  now = Date.now(),
): BackgroundTaskView {
  const row = shard
    .statement(`SELECT ${COLUMNS} FROM background_tasks WHERE id = ?`)
    .get(id) as BackgroundTask | null;
  if (!row || (row.createdBy !== actor.id && !hasRole(actor.role, "admin"))) throw new NotFoundError("task");
  return toView(row, now, running);
}

/** The most recent tasks of a kind `actor` may see, newest first. */
export function recentBackgroundTasks(
  shard: Shard,
  actor: Actor,
  kind: string,
  running: (id: number) => boolean,
  limit = 20,
  now = Date.now(),
): BackgroundTaskView[] {
  const everyone = hasRole(actor.role, "admin");
  const rows = shard
    .statement(
      `SELECT ${COLUMNS} FROM background_tasks WHERE kind = ? AND (? OR created_by = ?) ORDER BY id DESC LIMIT ?`,
    )
    .all(kind, everyone ? 1 : 0, actor.id, limit) as BackgroundTask[];
  return rows.map((row) => toView(row, now, running));
}

/** Asks the task to stop at its next step (it then leaves the workspace as it was). */
export function requestCancel(
  shard: Shard,
  actor: Actor,
  id: number,
  running: (id: number) => boolean,
): void {
  const task = getBackgroundTask(shard, actor, id, running);
  if (task.finished) return;
  shard.statement("UPDATE background_tasks SET cancel_requested = 1 WHERE id = ?").run(id);
}

// What the worker running a task and the server's thread record as it goes. These are
// bookkeeping writes outside shard.transaction: a progress step is not a change to the
// workspace's records, so it does not make every cached page of the workspace stale.

/** Marks the task running (the worker has picked it up). */
export function markRunning(shard: Shard, id: number, now = Date.now()): void {
  shard.statement("UPDATE background_tasks SET status = 'running', updated_at = ? WHERE id = ?").run(now, id);
}

/** Records progress: `done` of `total` steps, and what it is doing. */
export function reportProgress(
  shard: Shard,
  id: number,
  step: { done: number; total?: number | null; message?: string | null },
  now = Date.now(),
): void {
  shard
    .statement(
      `UPDATE background_tasks SET done = ?, total = coalesce(?, total), message = coalesce(?, message), updated_at = ?
       WHERE id = ?`,
    )
    .run(step.done, step.total ?? null, step.message ?? null, now, id);
}

/** Whether someone pressed Cancel. */
export function cancelRequested(shard: Shard, id: number): boolean {
  const row = shard.statement("SELECT cancel_requested AS c FROM background_tasks WHERE id = ?").get(id) as {
    c: number;
  } | null;
  return Boolean(row?.c);
}

/** Records how it ended. */
export function finishBackgroundTask(
  shard: Shard,
  id: number,
  outcome: {
    status: Exclude<BackgroundStatus, "queued" | "running">;
    message?: string | null;
    result?: unknown;
  },
  now = Date.now(),
): void {
  shard
    .statement(
      `UPDATE background_tasks SET status = ?, message = coalesce(?, message), result = ?, updated_at = ?, finished_at = ?
       WHERE id = ?`,
    )
    .run(
      outcome.status,
      outcome.message ?? null,
      outcome.result === undefined ? null : JSON.stringify(outcome.result),
      now,
      now,
      id,
    );
}
