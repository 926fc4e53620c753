import { Hono } from "hono";
import { z } from "zod";
import { RECORD_TYPE_MESSAGE, RECORD_TYPES } from "../core/record-types.ts";
import { parseOrThrow } from "../core/validation.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { ifMatchWrite, taggedJson } from "../http/entity-tag.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { answerOnce } from "../idempotency/idempotency-middleware.ts";
import { actorOf } from "../identity/viewer.ts";
import {
  listLimit,
  optionalParam,
  parseListParams,
  positiveId,
  updatedSinceParam,
} from "../lists/list-params.ts";
import type { Shard } from "../tenancy/shard.ts";
import { listTasks } from "./list-tasks.ts";
import { taskInput, taskPatchInput } from "./task-input.ts";
import { createTask, deleteTask, getTask, taskJson, updateTask } from "./tasks.ts";

const taskListParams = z.object({
  assigneeId: optionalParam(positiveId),
  completed: optionalParam(z.enum(["true", "false"], "must be true or false")),
  subjectType: optionalParam(z.enum(RECORD_TYPES, RECORD_TYPE_MESSAGE)),
  subjectId: optionalParam(positiveId),
  updatedSince: updatedSinceParam,
  cursor: optionalParam(positiveId),
  limit: listLimit,
});

/** /api/v1/t/:tenant/tasks: list (newest first; filters), create, get, PATCH (`completed: true` completes it and logs that), delete. */
export function taskApiRoutes() {
  const app = new Hono<ViewerEnv>();
  app.get("/", (c) => {
    const { completed, updatedSince, ...filter } = parseListParams(taskListParams, c.req.query(), "api");
    const page = listTasks(c.var.shard, {
      ...filter,
      updatedSince: updatedSince === undefined ? undefined : Date.parse(updatedSince),
      completed: completed === undefined ? undefined : completed === "true",
    });
    return c.json({
      data: page.tasks.map(taskJson),
      nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
    });
  });
  app.post("/", async (c) => {
    const input = parseOrThrow(taskInput, await readJsonObject(c));
    return answerOnce(c, 201, () => {
      const task = createTask(c.var.shard, actorOf(c.var.viewer), input);
      return { json: taskJson(task), location: `/api/v1/t/${c.var.tenant.slug}/tasks/${task.id}` };
    });
  });
  // ETag on GET, If-Match on PATCH and DELETE (src/http/entity-tag.ts).
  const current = (shard: Shard, id: number) => () => taskJson(getTask(shard, id));
  app.get("/:id", (c) => taggedJson(c, current(c.var.shard, idParam(c))()));
  app.patch("/:id", async (c) => {
    const id = getTask(c.var.shard, idParam(c)).id;
    const body = await readJsonObject(c);
    // The body is read inside: a stale If-Match is a 412 before a bad field is a 422 (RFC 9110 §13.2.1).
    const task = ifMatchWrite(c, current(c.var.shard, id), () =>
      updateTask(c.var.shard, actorOf(c.var.viewer), id, parseOrThrow(taskPatchInput, body)),
    );
    return taggedJson(c, taskJson(task));
  });
  app.delete("/:id", (c) => {
    const id = idParam(c);
    ifMatchWrite(c, current(c.var.shard, id), () => deleteTask(c.var.shard, actorOf(c.var.viewer), id));
    return c.body(null, 204);
  });
  return app;
}
