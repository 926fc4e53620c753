import { type Context, Hono } from "hono";
import { taskEditPage } from "../../views/tasks/task-edit-page.ts";
import { taskItem } from "../../views/tasks/task-item.ts";
import { tasksPage } from "../../views/tasks/tasks-page.ts";
import { requireSignedIn } from "../auth/session-middleware.ts";
import { listUsers } from "../auth/users.ts";
import { writesNeedMember } from "../auth/write-guard.ts";
import { NotFoundError, ValidationError } from "../core/errors.ts";
import { loggedDayIssue } from "../core/logged-day.ts";
import { recordPath } from "../core/record-types.ts";
import { dayBounds, utcToZoned, zonedToUtc } from "../core/time-zone.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, idParam, pageContext, pageCsrfToken, wantsFragment } from "../http/page-context.ts";
import { memberOnly } from "../http/role-guards.ts";
import { viewerTimeZone } from "../http/viewer-time-zone.ts";
import { actorOf } from "../identity/viewer.ts";
import { fromTaskList, liveTaskCounts } from "./live-counts-response.ts";
import { taskInput, taskPatchInput } from "./task-input.ts";
import { taskItemContext } from "./task-item-props.ts";
import {
  createTask,
  deleteTask,
  getTask,
  setTaskCompleted,
  type TaskRecord,
  tasksFor,
  updateTask,
} from "./tasks.ts";

type C = Context<ViewerEnv>;

/** "09:30" as typed before, or as an input type=time sends it (with seconds when it has them). */
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?$/;

/** A task form's due day and time (the viewer's local time) as an ISO instant, null for none. */
function dueFromForm(c: C, fields: Record<string, string>): string | null {
  const issues = [];
  const dayIssue = fields.dueOn ? loggedDayIssue(fields.dueOn) : undefined;
  if (dayIssue) issues.push({ field: "dueOn", message: dayIssue });
  if (fields.dueTime && !TIME.test(fields.dueTime))
    issues.push({ field: "dueTime", message: "must be a time like 09:30" });
  if (fields.dueTime && !fields.dueOn) issues.push({ field: "dueOn", message: "is needed with a time" });
  if (issues.length) throw new ValidationError(issues);
  return fields.dueOn
    ? new Date(
        zonedToUtc(fields.dueOn, (fields.dueTime ?? "").slice(0, 5) || "09:00", viewerTimeZone(c)),
      ).toISOString()
    : null;
}

/** A new task's form as API input. */
function taskFromForm(c: C, fields: Record<string, string>) {
  return parseOrThrow(taskInput, {
    title: fields.title ?? "",
    dueAt: dueFromForm(c, fields),
    assigneeId: fields.assigneeId ? Number(fields.assigneeId) : c.var.viewer.id,
    subjectType: fields.subjectType || null,
    subjectId: fields.subjectId ? Number(fields.subjectId) : null,
  });
}

/**
 * A task's edit form as a change: its title, due time and assignee ("" is nobody); its record
 * stays. A due day and time the same as the page showed keep the stored instant: on a day a
 * clock goes back, the local time names two instants, and the page must not move the task.
 */
function taskChangeFromForm(c: C, task: TaskRecord, fields: Record<string, string>) {
  const shown = task.dueAt === null ? undefined : utcToZoned(task.dueAt, viewerTimeZone(c));
  const unchanged = shown !== undefined && fields.dueOn === shown.day && fields.dueTime === shown.time;
  return parseOrThrow(taskPatchInput, {
    title: fields.title ?? "",
    dueAt: unchanged ? undefined : dueFromForm(c, fields),
    assigneeId: fields.assigneeId ? Number(fields.assigneeId) : null,
  });
}

/** "My tasks" and the task forms on record pages. */
export function taskRoutes(deps: AppDeps) {
  const app = new Hono<ViewerEnv>();
  app.use(requireSignedIn, writesNeedMember);

  const render = (
    c: C,
    form = { values: {} as Record<string, string>, errors: {} as Record<string, string> },
    status = 200,
  ) => {
    const users = listUsers(c.var.shard);
    const wanted = Number(c.req.query("assigneeId") ?? c.var.viewer.id);
    const assignee = users.find((u) => u.id === wanted);
    if (!assignee) throw new NotFoundError("user");
    const ctx = pageContext(c, deps);
    const now = deps.now();
    const page = tasksPage({
      ctx,
      item: taskItemContext(c, ctx.csrfToken, true, now),
      buckets: tasksFor(c.var.shard, assignee.id, dayBounds(now, viewerTimeZone(c))),
      users,
      form: { values: { assigneeId: String(c.var.viewer.id), ...form.values }, errors: form.errors },
      assignee,
      isOwn: assignee.id === c.var.viewer.id,
    });
    return c.html(page.value, status as 200);
  };

  /**
   * A task form's answer: htmx gets the task's item (its record named when it is shown outside
   * that record's page); a plain form goes back to the record the task is about, or to My tasks.
   */
  const answer = (c: C, task: TaskRecord, showSubject: boolean, status: 200 | 201) => {
    if (wantsFragment(c)) {
      const added = status === 201;
      const counts = liveTaskCounts(c, deps, added ? "added" : "changed");
      // Added on a task list: the groups come back out of band with it in its group, so the
      // answer's own place (the form's target) gets nothing.
      if (added && fromTaskList(c)) return c.html(counts.value, status);
      const item = taskItem(task, taskItemContext(c, pageCsrfToken(c, deps), showSubject, deps.now()));
      return c.html(item.value + counts.value, status);
    }
    const base = `/t/${c.var.tenant.slug}`;
    if (task.subjectType && task.subjectId !== null)
      return c.redirect(recordPath(base, { type: task.subjectType, id: task.subjectId }), 303);
    return c.redirect(`${base}/tasks`, 303);
  };

  app.get("/", (c) => render(c));

  app.post("/", async (c) => {
    const fields = await formFields(c);
    // A task form on a record page (or sent by htmx) shows its errors through onError, inline;
    // only "My tasks" shows its own form again.
    const parsed =
      wantsFragment(c) || fields.subjectType
        ? { ok: true as const, value: taskFromForm(c, fields) }
        : writeFromForm(fields, () => taskFromForm(c, fields));
    if (!parsed.ok) return render(c, parsed.form, 422);
    const input = parsed.value;
    const task = createTask(c.var.shard, actorOf(c.var.viewer), input);
    return answer(c, task, !task.subjectType, 201);
  });

  app.post("/:id/completion", async (c) => {
    const fields = await formFields(c);
    const task = setTaskCompleted(
      c.var.shard,
      actorOf(c.var.viewer),
      idParam(c),
      fields.completed !== "false",
    );
    return answer(c, task, c.req.header("hx-current-url")?.includes("/tasks") ?? true, 200);
  });

  /** Where a task's page goes back to: the task list it was opened on, else the task's record. */
  const backOf = (c: C, task: TaskRecord, from: string | undefined) => {
    const base = `/t/${c.var.tenant.slug}`;
    if (from !== "tasks" && task.subjectType && task.subjectId !== null)
      return {
        href: recordPath(base, { type: task.subjectType, id: task.subjectId }),
        label: task.subjectName ?? `the ${task.subjectType}`,
      };
    // The list it was opened on: its assignee's (as the task was then), yours or a teammate's.
    const theirs = task.assigneeId !== null && task.assigneeId !== c.var.viewer.id;
    return {
      href: theirs ? `${base}/tasks?assigneeId=${task.assigneeId}` : `${base}/tasks`,
      label: theirs ? `${task.assigneeName ?? "their"}'s tasks` : "My tasks",
      from: from === "tasks" ? ("tasks" as const) : undefined,
    };
  };

  const renderEdit = (
    c: C,
    task: TaskRecord,
    from: string | undefined,
    form: { values: Record<string, string>; errors: Record<string, string> },
    status: 200 | 422 = 200,
  ) =>
    c.html(
      taskEditPage({
        ctx: pageContext(c, deps),
        base: `/t/${c.var.tenant.slug}`,
        task,
        users: listUsers(c.var.shard),
        form,
        back: backOf(c, task, from),
      }).value,
      status,
    );

  // A task opened from its list (its title links here): change it or delete it, with or without JavaScript.
  app.get("/:id/edit", memberOnly, (c) => {
    const task = getTask(c.var.shard, idParam(c));
    const due = task.dueAt === null ? undefined : utcToZoned(task.dueAt, viewerTimeZone(c));
    return renderEdit(c, task, c.req.query("from"), {
      values: {
        title: task.title,
        dueOn: due?.day ?? "",
        dueTime: due?.time ?? "",
        assigneeId: task.assigneeId === null ? "" : String(task.assigneeId),
      },
      errors: {},
    });
  });

  app.post("/:id", async (c) => {
    const task = getTask(c.var.shard, idParam(c));
    const fields = await formFields(c);
    const parsed = writeFromForm(fields, () => taskChangeFromForm(c, task, fields));
    if (!parsed.ok) return renderEdit(c, task, fields.from, parsed.form, 422);
    updateTask(c.var.shard, actorOf(c.var.viewer), task.id, parsed.value);
    // Back where it was opened: judged by the task as it was (a new assignee has another list).
    return c.redirect(backOf(c, task, fields.from).href, 303);
  });

  app.post("/:id/delete", async (c) => {
    const task = getTask(c.var.shard, idParam(c));
    const fields = await formFields(c);
    deleteTask(c.var.shard, actorOf(c.var.viewer), task.id);
    if (wantsFragment(c)) return c.html(liveTaskCounts(c, deps, "changed").value, 200);
    return c.redirect(backOf(c, task, fields.from).href, 303);
  });

  return app;
}
