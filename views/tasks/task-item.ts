import { recordPath } from "../../src/core/record-types.ts";
import { utcToZoned } from "../../src/core/time-zone.ts";
import type { TaskRecord } from "../../src/tasks/tasks.ts";
import { csrfField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

export interface TaskItemContext {
  base: string;
  nonce: string;
  csrfToken: string;
  canWrite: boolean;
  zone: string;
  now: number;
  /** Leave out the "on <record>" link (on the record's own page). */
  showSubject: boolean;
}

function due(task: TaskRecord, ctx: TaskItemContext): Html {
  if (task.dueAt === null) return html``;
  const { day, time } = utcToZoned(task.dueAt, ctx.zone);
  const late = task.completedAt === null && task.dueAt < ctx.now;
  return html` <time class="due${late ? " overdue" : ""}" datetime="${new Date(task.dueAt).toISOString()}">due ${day} ${time}</time>`;
}

/**
 * The one form every task's tick on a page submits (its CSRF token): each task carries a button
 * naming it and its own completion URL (formaction), not a form of its own, which was most of a
 * task's bytes. Without JavaScript the button posts it; with it, app.js swaps the task in place.
 */
export function taskToggleForm(csrfToken: string): Html {
  return html`<form id="task-toggle" method="post" hidden>${csrfField(csrfToken)}</form>`;
}

/** One task, with a button that completes it (or opens it again): the page holds taskToggleForm. */
export function taskItem(task: TaskRecord, ctx: TaskItemContext): Html {
  const done = task.completedAt !== null;
  const toggle = ctx.canWrite
    ? html`<button type="submit" form="task-toggle" formaction="${ctx.base}/tasks/${task.id}/completion" name="completed" value="${done ? "false" : "true"}" class="check" aria-label="${done ? `Mark “${task.title}” not done` : `Mark “${task.title}” done`}">${done ? "✓" : ""}</button>`
    : "";
  const subject =
    ctx.showSubject && task.subjectType && task.subjectId !== null
      ? html` · <a href="${recordPath(ctx.base, { type: task.subjectType, id: task.subjectId })}">${task.subjectName ?? task.subjectType}</a>`
      : "";
  // Its title opens the task's page (change or delete it), for those who may write.
  const title = ctx.canWrite
    ? html`<a class="title" href="${ctx.base}/tasks/${task.id}/edit${ctx.showSubject ? "?from=tasks" : ""}">${task.title}</a>`
    : html`<span class="title">${task.title}</span>`;
  return html`<li class="task${done ? " done" : ""}" id="task-${task.id}">${toggle}${title}${due(task, ctx)}${
    task.assigneeName ? html` <span class="muted">· ${task.assigneeName}</span>` : ""
  }${subject}</li>`;
}
