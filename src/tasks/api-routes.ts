import { Hono } from "hono";
import { z } from "zod";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { actorOf } from "../identity/viewer.ts";
import { listLimit, optionalParam, parseListParams, positiveId } from "../lists/list-params.ts";
import { taskInput, taskPatchInput } from "./task-input.ts";
import { createTask, deleteTask, getTask, type TaskRecord, updateTask } from "./tasks.ts";

const taskListParams = z.object({
  assigneeId: optionalParam(positiveId),
  completed: optionalParam(z.enum(["true", "false"], "must be true or false")),
  subjectType: optionalParam(z.enum(["contact", "company", "deal"], "must be contact, company or deal")),
  subjectId: optionalParam(positiveId),
  cursor: optionalParam(positiveId),
  limit: listLimit,
});

function taskJson(t: TaskRecord) {
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

/** /api/v1/t/:tenant/tasks: list (newest first; filters), create, get, PATCH (`completed: true` completes it and logs that), delete. */
export function taskApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    const p = parseListParams(taskListParams, c.req.query(), true);
    const conditions = ["1 = 1"];
    const values: (string | number)[] = [];
    const exact: [string, string | number | undefined][] = [
      ["assignee_id = ?", p.assigneeId],
      ["subject_type = ?", p.subjectType],
      ["subject_id = ?", p.subjectId],
      ["id < ?", p.cursor],
    ];
    for (const [condition, value] of exact) {
      if (value === undefined) continue;
      conditions.push(condition);
      values.push(value);
    }
    if (p.completed)
      conditions.push(p.completed === "true" ? "completed_at IS NOT NULL" : "completed_at IS NULL");
    const ids = (
      c.var.shard
        .statement(`SELECT id FROM tasks WHERE ${conditions.join(" AND ")} ORDER BY id DESC LIMIT ?`)
        .all(...values, p.limit + 1) as { id: number }[]
    ).map((r) => r.id);
    const page = ids.slice(0, p.limit).map((id) => taskJson(getTask(c.var.shard, id)));
    return c.json({ data: page, nextCursor: ids.length > p.limit ? String(page.at(-1)?.id) : null });
  });
  app.post("/", async (c) => {
    const task = createTask(
      c.var.shard,
      actorOf(c.var.viewer),
      parseOrThrow(taskInput, await readJsonObject(c)),
    );
    c.header("Location", `/api/v1/t/${c.var.tenant.slug}/tasks/${task.id}`);
    return c.json(taskJson(task), 201);
  });
  app.get("/:id", (c) => c.json(taskJson(getTask(c.var.shard, idParam(c)))));
  app.patch("/:id", async (c) => {
    const id = getTask(c.var.shard, idParam(c)).id;
    const patch = parseOrThrow(taskPatchInput, await readJsonObject(c));
    return c.json(taskJson(updateTask(c.var.shard, actorOf(c.var.viewer), id, patch)));
  });
  app.delete("/:id", (c) => {
    deleteTask(c.var.shard, idParam(c));
    return c.body(null, 204);
  });
  return app;
}
