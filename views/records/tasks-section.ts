import type { UserSummary } from "../../src/auth/users.ts";
import type { TaskRecord } from "../../src/tasks/tasks.ts";
import { type Html, html, join } from "../html.ts";
import { newTaskForm } from "../tasks/new-task-form.ts";
import { type TaskItemContext, taskItem, taskToggleForm } from "../tasks/task-item.ts";

/** A record's tasks, with a form to add one (assigned to the viewer unless changed). */
export function tasksSection(
  tasks: TaskRecord[],
  item: TaskItemContext,
  subject: { type: string; id: number },
  users: UserSummary[],
  viewerId: number,
): Html {
  return html`<section class="record-tasks" aria-labelledby="tasks-title">
<h2 id="tasks-title">Tasks</h2>
${
  item.canWrite
    ? newTaskForm({
        base: item.base,
        nonce: item.nonce,
        csrfToken: item.csrfToken,
        users,
        form: { values: { assigneeId: String(viewerId) }, errors: {} },
        subject,
        target: "#record-tasks",
      })
    : ""
}
${item.canWrite ? taskToggleForm(item.csrfToken) : ""}
<ul class="tasks" id="record-tasks">${join(tasks.map((t) => taskItem(t, item)))}</ul>
</section>`;
}
