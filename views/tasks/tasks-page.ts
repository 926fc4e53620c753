import type { UserSummary } from "../../src/auth/users.ts";
import type { TaskBucket, TaskBuckets } from "../../src/tasks/tasks.ts";
import type { FormState } from "../components/form-field.ts";
import { formatCount } from "../components/format.ts";
import { type Html, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { newTaskForm } from "./new-task-form.ts";
import { type TaskItemContext, taskItem, taskToggleForm } from "./task-item.ts";

export interface TasksPageProps {
  ctx: PageContext;
  item: TaskItemContext;
  buckets: TaskBuckets;
  users: UserSummary[];
  form: FormState;
  /** Whose tasks these are, when not the viewer's own. */
  assignee: UserSummary;
  isOwn: boolean;
}

/** How each group is ordered, as its "the first 50 of N" line says. */
const ORDER: Record<string, string> = {
  overdue: "longest overdue first",
  today: "soonest first",
  upcoming: "soonest first",
  someday: "oldest first",
};

/** The groups, in order: their titles, ids and what each says when empty. */
const GROUPS = [
  ["Overdue", "overdue", "Nothing overdue."],
  ["Today", "today", "Nothing due today."],
  ["Upcoming", "upcoming", "Nothing coming up."],
  ["No date", "someday", "Nothing undated."],
  ["Recently done", "done", "Nothing done yet."],
] as const;

function group(b: TaskBuckets, id: (typeof GROUPS)[number][1]): TaskBucket {
  return id === "done" ? { tasks: b.done, total: b.done.length } : b[id];
}

/** A group's heading with its count: its id is what an answer swaps out of band to change the number. */
function heading(title: string, id: string, total: number, oob?: { nonce: string }): Html {
  const swap = oob ? html` hx-swap-oob="true" hx-nonce="${oob.nonce}"` : "";
  return html`<h2 id="${id}-title"${swap}>${title} <span class="count">${formatCount(total)}</span></h2>`;
}

function bucket(title: string, id: string, group: TaskBucket, item: TaskItemContext, empty: string): Html {
  const { tasks, total } = group;
  const more =
    total > tasks.length
      ? html`<p class="muted more-tasks">The first ${formatCount(tasks.length)} of ${formatCount(total)}, ${ORDER[id] ?? "first"}.</p>`
      : "";
  return html`<section class="bucket" aria-labelledby="${id}-title">${heading(title, id, total)}
<ul class="tasks" id="${id}">${join(tasks.map((t) => taskItem(t, item)))}</ul>${more}${tasks.length ? "" : html`<p class="empty">${empty}</p>`}</section>`;
}

/**
 * The groups of a task list, each with its tasks and count. With `oob`, the answer to a task
 * added on the page: the groups replace the page's out of band, so the task lands in the group
 * its due time puts it in, and every count and empty line is the one a reload would show.
 */
export function taskBuckets(b: TaskBuckets, item: TaskItemContext, oob?: { nonce: string }): Html {
  const swap = oob ? html` hx-swap-oob="true" hx-nonce="${oob.nonce}"` : "";
  return html`<div class="buckets" id="task-buckets"${swap}>
${join(GROUPS.map(([title, id, empty]) => bucket(title, id, group(b, id), item, empty)))}
</div>`;
}

/**
 * The groups' headings, out of band: what a tick or a deletion answers besides the task, so
 * each count is right while the task itself stays where it was (ticked, to untick if need be).
 */
export function taskBucketCounts(b: TaskBuckets, nonce: string): Html {
  return join(GROUPS.map(([title, id]) => heading(title, id, group(b, id).total, { nonce })));
}

/** "My tasks": overdue, today, upcoming, no date, and the latest done. */
export function tasksPage(p: TasksPageProps): Html {
  const b = p.buckets;
  const others = p.users
    .filter((u) => u.id !== p.assignee.id)
    .map((u) => html`<a href="${p.item.base}/tasks?assigneeId=${u.id}">${u.name}</a>`);
  return page(p.ctx, {
    title: p.isOwn ? "My tasks" : `Tasks for ${p.assignee.name}`,
    nav: "tasks",
    body: html`<div class="page-head"><h1>${p.isOwn ? "My tasks" : html`Tasks for ${p.assignee.name}`}</h1></div>
${p.item.canWrite ? taskToggleForm(p.item.csrfToken) : ""}
${p.item.canWrite ? newTaskForm({ base: p.item.base, nonce: p.item.nonce, csrfToken: p.item.csrfToken, users: p.users, form: p.form, target: "#today" }) : ""}
${taskBuckets(b, p.item)}
<p class="muted">Other people's tasks: ${join(others.flatMap((a, i) => (i ? [", ", a] : [a])))}${p.isOwn ? "" : html` · <a href="${p.item.base}/tasks">mine</a>`}</p>`,
  });
}
