import { taskInput, taskPatchInput } from "../../tasks/task-input.ts";
import { subjectIdParameter, subjectTypeParameter } from "./interactions.ts";
import {
  collectionParameters,
  createOperation,
  deleteOperation,
  getOperation,
  itemParameters,
  listOperation,
  writeOperation,
} from "./operations.ts";
import {
  bodySchema,
  cursor,
  id,
  json,
  jsonBody,
  nullableDateTime,
  nullableId,
  pageOf,
  query,
  RECORD_SUBJECTS,
  ref,
  timestamps,
  updatedSinceParameter,
} from "./parts.ts";
import { ONE_LINE, withFieldRules } from "./schema-rules.ts";

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
  additionalProperties: false,
  properties: {
    id,
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

/** `subjectType` and `subjectId` go together: both set, or both absent or null (a 422 naming `subjectId` otherwise). */
export const SUBJECT_PAIR = [
  { properties: { subjectType: { type: "null" }, subjectId: { type: "null" } } },
  {
    required: ["subjectType", "subjectId"],
    properties: { subjectType: { type: "string" }, subjectId: { type: "integer", format: "int64" } },
  },
];

export function taskPaths() {
  const tags = ["Tasks"];
  const task = ref("Task");
  return {
    "/api/v1/t/{tenant}/tasks": {
      parameters: collectionParameters(),
      get: listOperation(
        { operationId: "listTasks", summary: "List tasks", description: "Newest first.", tags },
        [
          query("assigneeId", id, "Only tasks assigned to this user"),
          query("completed", { type: "string", enum: ["true", "false"] }, "Only done, or only open, tasks"),
          subjectTypeParameter("Only tasks about this kind of record", false),
          subjectIdParameter("Only tasks about the record with this id", false),
          updatedSinceParameter("Only tasks changed at or after this instant"),
          query("cursor", cursor, "`nextCursor` from the previous page"),
          query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
        ],
        { description: "A page", schema: pageOf(task) },
      ),
      post: createOperation(
        {
          operationId: "createTask",
          summary: "Create a task",
          description: "`subjectType` and `subjectId` go together and must name a record of this workspace.",
          tags,
        },
        {
          required: true,
          content: json({
            ...withFieldRules(bodySchema(taskInput), { title: ONE_LINE }),
            anyOf: SUBJECT_PAIR,
          }),
        },
        task,
      ),
    },
    "/api/v1/t/{tenant}/tasks/{id}": {
      parameters: itemParameters("The task's id"),
      get: getOperation({ operationId: "getTask", summary: "Get a task", tags }, task),
      patch: writeOperation(
        {
          operationId: "updateTask",
          summary: "Change a task, or complete it",
          description:
            "Only the fields sent change; `subjectType` and `subjectId` must still go together afterwards (both set, or both null). `completed: true` completes the task and logs `task.completed` on the record it is about (on the task itself when it is about nothing); `completed: false` reopens it.",
          tags,
        },
        jsonBody(taskPatchInput, { title: ONE_LINE }),
        { description: "Updated", schema: task },
      ),
      delete: deleteOperation({ operationId: "deleteTask", summary: "Delete a task", tags }),
    },
  };
}
