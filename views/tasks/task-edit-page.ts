import type { UserSummary } from "../../src/auth/users.ts";
import { csrfField, type FormState, formErrors, selectField, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface TaskEditPageProps {
  ctx: PageContext;
  /** `/t/<slug>`. */
  base: string;
  task: { id: number; title: string };
  users: UserSummary[];
  /** The fields (the due day and time in the viewer's zone) and their problems. */
  form: FormState;
  /** Where Save, Delete and Cancel go back to: the task's record page or a task list. */
  back: { href: string; label: string; from?: "tasks" };
}

/** A task opened from a list: change its title, due day and time (the viewer's zone) or assignee, or delete it. */
export function taskEditPage(p: TaskEditPageProps): Html {
  const action = `${p.base}/tasks/${p.task.id}`;
  const from = p.back.from ? html`<input type="hidden" name="from" value="${p.back.from}">` : "";
  return page(p.ctx, {
    title: `Task: ${p.task.title}`,
    nav: "tasks",
    body: html`<section class="confirm"><h1>Task</h1>
<form id="edit-task" class="stacked" method="post" action="${action}" aria-label="Change the task">
  ${csrfField(p.ctx.csrfToken)}${from}
  ${textField({ name: "title", label: "Task", form: p.form, idPrefix: "edit-task", required: true, maxlength: 300, autocomplete: "off" })}
  ${textField({ name: "dueOn", label: "Due", form: p.form, idPrefix: "edit-task", type: "date" })}
  ${textField({ name: "dueTime", label: "at", form: p.form, idPrefix: "edit-task", type: "time" })}
  ${selectField({ name: "assigneeId", label: "For", form: p.form, idPrefix: "edit-task", options: [{ value: "", label: "Nobody" }, ...p.users.map((u) => ({ value: String(u.id), label: u.name }))] })}
  <div class="form-actions"><button type="submit">Save</button> <a href="${p.back.href}">Cancel</a></div>
  ${formErrors(p.form, ["title", "dueOn", "dueTime", "assigneeId"])}
</form>
<form id="delete-task" method="post" action="${action}/delete" aria-label="Delete the task">
  ${csrfField(p.ctx.csrfToken)}${from}
  <button type="submit" class="danger">Delete this task</button>
</form>
<p><a href="${p.back.href}">Back to ${p.back.label}</a></p></section>`,
  });
}
