import { taskInput, taskPatchInput } from "../../tasks/task-input.ts";
import { subjectIdParameter, subjectTypeParameter } from "./interactions.ts";
import {
  errorResponses,
  idParameter,
  json,
  jsonBody,
  location,
  nullableDateTime,
  nullableId,
  pageOf,
  query,
  RECORD_SUBJECTS,
  ref,
  tenantParameter,
  timestamps,
} from "./parts.ts";

// The OpenAPI document, part: Tasks (src/tasks/api-routes.ts).

export const taskSchema = {
  type: "object",
  required: [
    "id",
    "title",
    "dueAt",
    "assigneeId",
    "subjectType",
    "subjectId",
    "completed",
    "completedAt",
    "createdAt",
    "updatedAt",
  ],
  properties: {
    id: { type: "integer" },
    title: { type: "string" },
    dueAt: nullableDateTime,
    assigneeId: nullableId,
    subjectType: { type: ["string", "null"], enum: [...RECORD_SUBJECTS, null] },
    subjectId: nullableId,
    completed: { type: "boolean" },
    completedAt: nullableDateTime,
    ...timestamps,
  },
};

export function taskPaths() {
  const tag = ["Tasks"];
  const task = ref("Task");
  return {
    "/api/v1/t/{tenant}/tasks": {
      parameters: [tenantParameter],
      get: {
        operationId: "listTasks",
        summary: "List tasks",
        description: "Newest first.",
        tags: tag,
        parameters: [
          query("assigneeId", { type: "integer", minimum: 1 }, "Only tasks assigned to this user"),
          query("completed", { type: "string", enum: ["true", "false"] }, "Only done, or only open, tasks"),
          subjectTypeParameter("Only tasks about this kind of record", false),
          subjectIdParameter("Only tasks about the record with this id", false),
          query("cursor", { type: "integer", minimum: 1 }, "`nextCursor` from the previous page"),
          query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
        ],
        responses: {
          200: { description: "A page", content: json(pageOf(task)) },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: "createTask",
        summary: "Create a task",
        description: "`subjectType` and `subjectId` go together and must name a record of this workspace.",
        tags: tag,
        requestBody: jsonBody(taskInput),
        responses: {
          201: { description: "Created", headers: location, content: json(task) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/tasks/{id}": {
      parameters: [tenantParameter, idParameter("The task's id")],
      get: {
        operationId: "getTask",
        summary: "Get a task",
        tags: tag,
        responses: { 200: { description: "Found", content: json(task) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: "updateTask",
        summary: "Change a task, or complete it",
        description:
          "Only the fields sent change. `completed: true` completes the task and logs `task.completed` on the record it is about (on the task itself when it is about nothing); `completed: false` reopens it.",
        tags: tag,
        requestBody: jsonBody(taskPatchInput),
        responses: {
          200: { description: "Updated", content: json(task) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deleteTask",
        summary: "Delete a task",
        tags: tag,
        responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
      },
    },
  };
}
