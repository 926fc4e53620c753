import type { UserSummary } from "../../src/auth/users.ts";
import { csrfField, type FormState, formErrors, selectField, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

export interface NewTaskFormProps {
  base: string;
  nonce: string;
  csrfToken: string;
  users: UserSummary[];
  form: FormState;
  /** The record the task will be about, if any. */
  subject?: { type: string; id: number };
  /** Where the new task's line goes (htmx target). */
  target: string;
}

/** Add a task: title, due day and time (the viewer's time zone), assignee. */
export function newTaskForm(p: NewTaskFormProps): Html {
  const idPrefix = p.subject ? `task-${p.subject.type}` : "task";
  return html`<form id="new-task" class="inline-form" data-reset method="post" action="${p.base}/tasks" hx-post="${p.base}/tasks" hx-target="${p.target}" hx-swap="afterbegin" hx-nonce="${p.nonce}" aria-label="Add a task">
  ${csrfField(p.csrfToken)}
  ${p.subject ? html`<input type="hidden" name="subjectType" value="${p.subject.type}"><input type="hidden" name="subjectId" value="${p.subject.id}">` : ""}
  ${textField({ name: "title", label: "Task", form: p.form, idPrefix, required: true, maxlength: 300, autocomplete: "off" })}
  ${textField({ name: "dueOn", label: "Due", form: p.form, idPrefix, type: "date" })}
  ${textField({ name: "dueTime", label: "at", form: p.form, idPrefix, type: "time" })}
  ${selectField({ name: "assigneeId", label: "For", form: p.form, idPrefix, options: p.users.map((u) => ({ value: String(u.id), label: u.name })) })}
  <div class="form-actions"><button type="submit">Add task</button></div>
  ${formErrors(p.form, ["title", "dueOn", "dueTime", "assigneeId"])}
</form>`;
}
