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

function bucket(title: string, id: string, group: TaskBucket, item: TaskItemContext, empty: string): Html {
  const { tasks, total } = group;
  const more =
    total > tasks.length
      ? html`<p class="muted more-tasks">The first ${formatCount(tasks.length)} of ${formatCount(total)}, ${ORDER[id] ?? "first"}.</p>`
      : "";
  return html`<section class="bucket" aria-labelledby="${id}-title"><h2 id="${id}-title">${title} <span class="count">${formatCount(total)}</span></h2>
<ul class="tasks" id="${id}">${join(tasks.map((t) => taskItem(t, item)))}</ul>${more}${tasks.length ? "" : html`<p class="empty">${empty}</p>`}</section>`;
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
<div class="buckets">
${bucket("Overdue", "overdue", b.overdue, p.item, "Nothing overdue.")}
${bucket("Today", "today", b.today, p.item, "Nothing due today.")}
${bucket("Upcoming", "upcoming", b.upcoming, p.item, "Nothing coming up.")}
${bucket("No date", "someday", b.someday, p.item, "Nothing undated.")}
${bucket("Recently done", "done", { tasks: b.done, total: b.done.length }, p.item, "Nothing done yet.")}
</div>
<p class="muted">Other people's tasks: ${join(others.flatMap((a, i) => (i ? [", ", a] : [a])))}${p.isOwn ? "" : html` · <a href="${p.item.base}/tasks">mine</a>`}</p>`,
  });
}
