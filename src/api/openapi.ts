import { z } from "zod";
import { bulkActionInput, MAX_BULK_RECORDS } from "../bulk/bulk-input.ts";
import { companyCreateInput, companyPatchInput } from "../companies/company-input.ts";
import { COMPANY_SORTS } from "../companies/list-companies.ts";
import { contactCreateInput, contactPatchInput } from "../contacts/contact-input.ts";
import { CONTACT_SORTS } from "../contacts/list-contacts.ts";
import { fieldInput, fieldPatchInput } from "../custom-fields/field-definitions.ts";
import { dealCreateInput, dealPatchInput } from "../deals/deal-input.ts";
import { DEAL_SORTS } from "../deals/list-deals.ts";
import { pipelineInput, stageInput, stagePatchInput } from "../deals/manage-pipelines.ts";
import { STAGE_KINDS } from "../deals/schema.ts";
import { SUBJECT_TYPES } from "../interactions/kinds.ts";
import { activityInput } from "../interactions/log-activity.ts";
import { companyMergeRequest, contactMergeRequest } from "../merge/merge-input.ts";
import { noteBody, noteInput } from "../notes/note-input.ts";
import { taskInput, taskPatchInput } from "../tasks/task-input.ts";

/** A request body's JSON Schema, derived from the same zod schema that validates it. */
function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return json;
}

const nullableString = { type: ["string", "null"] };
const nullableId = { type: ["integer", "null"] };
const nullableDateTime = { type: ["string", "null"], format: "date-time" };
const dateTime = { type: "string", format: "date-time" };
const timestamps = {
  createdAt: dateTime,
  updatedAt: dateTime,
};
const tags = { type: "array", items: { type: "string" } };
const customValue = {
  type: ["string", "number", "boolean", "array", "null"],
  items: { type: "string" },
  description:
    "text, select and date (YYYY-MM-DD): a string; number: a number; checkbox: a boolean; multiselect: an array of options",
};
/** `customFields` on a contact, company or deal: the workspace's own fields, by key. */
const customFields = {
  type: "object",
  additionalProperties: customValue,
  description: "The workspace's custom fields, by key; a field without a value is absent",
};
/** What notes, tasks and logged activities can be about. */
const RECORD_SUBJECTS = ["contact", "company", "deal"];

const problem = {
  type: "object",
  description: "RFC 9457 problem details. `errors` names each invalid field.",
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    errors: {
      type: "array",
      items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } },
    },
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: "Malformed JSON, an unknown parameter, or a sort or filter outside the allow-list",
  401: "Missing, unknown or revoked API key, or a key for another workspace",
  403: "The key's role may not do this (read-only keys cannot write)",
  404: "No such workspace, or no such record in this workspace",
  413: "The body is larger than the limit",
  415: "The body is not application/json",
  422: "A field is invalid; `errors` names it",
};

/** Problem responses; a status may come with its own description (`[422, "…"]`). */
function errorResponses(...statuses: (number | [number, string])[]) {
  return Object.fromEntries(
    statuses.map((entry) => {
      const [status, description] = typeof entry === "number" ? [entry, ERROR_TEXT[entry]] : entry;
      return [
        status,
        {
          description,
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        },
      ];
    }),
  );
}

const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
const json = (s: object) => ({ "application/json": { schema: s } });
const jsonBody = (schema: z.ZodType) => ({ required: true, content: json(bodySchema(schema)) });

/**
 * A contact's, company's or deal's body: the zod schema's fields plus `customFields`, which
 * the routes read from the same body and check against the workspace's fields.
 */
function recordBody(schema: z.ZodType) {
  const derived = bodySchema(schema) as { properties?: Record<string, unknown> };
  return {
    required: true,
    content: {
      "application/json": {
        schema: {
          ...derived,
          properties: {
            ...derived.properties,
            customFields: {
              type: "object",
              additionalProperties: customValue,
              description:
                "Values by field key; null (or an empty string or list) clears one; a key that is not a custom field of this workspace is a 422",
            },
          },
        },
      },
    },
  };
}

const query = (name: string, schema: object, description: string, required = false) => ({
  name,
  in: "query",
  ...(required ? { required: true } : {}),
  schema,
  description,
});

const tenantParameter = {
  name: "tenant",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "Workspace slug",
};
const idParameter = (description = "The record's id") => ({
  name: "id",
  in: "path",
  required: true,
  schema: { type: "integer" },
  description,
});

/** `{data, nextCursor}`: one page of a list. */
function pageOf(item: object, nextCursor: object = nullableString) {
  return {
    type: "object",
    required: ["data", "nextCursor"],
    properties: { data: { type: "array", items: item }, nextCursor },
  };
}

const location = {
  Location: { description: "The new record's URL", schema: { type: "string" } },
};

function listParameters(sorts: string[], extra: object[] = []) {
  return [
    query("q", { type: "string", maxLength: 200 }, "Full-text search (prefix match on every word)"),
    query("tag", { type: "string" }, "Only records with this tag"),
    query("ownerId", { type: "integer" }, "Only records owned by this user"),
    query("createdFrom", { type: "string", format: "date" }, "Created on or after this day (UTC)"),
    query("createdTo", { type: "string", format: "date" }, "Created on or before this day (UTC)"),
    query(
      "cf",
      { type: "string", maxLength: 300, pattern: "^[a-z][a-z0-9_]{0,39}:" },
      "A custom field filter, `<field key>:<value>`: equal (text ignoring case), a multiselect containing the value, a checkbox `true` or `false`, a date `YYYY-MM-DD`",
    ),
    ...extra,
    query(
      "sort",
      {
        anyOf: [
          { type: "string", enum: sorts },
          { type: "string", pattern: "^cf\\.[a-z][a-z0-9_]{0,39}$" },
        ],
        default: "createdAt",
      },
      "Sort field, or `cf.<field key>` for a custom field (records without a value first when ascending)",
    ),
    query("order", { type: "string", enum: ["asc", "desc"] }, "Default: desc, or asc for name"),
    query("cursor", { type: "string" }, "`nextCursor` from the previous page"),
    query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
  ];
}

interface ResourceDoc {
  /** The path segment, e.g. "contacts". */
  path: string;
  /** The component schema of one record, e.g. "Contact". */
  schema: string;
  /** For operation ids: "Contact" and "Contacts". */
  noun: string;
  nouns: string;
  sorts: string[];
  create: z.ZodType;
  patch: z.ZodType;
  extra?: object[];
  descriptions?: { list?: string; create?: string; patch?: string; delete?: string };
}

/** List, create, get, PATCH and DELETE of one record type (src/api/resource-routes.ts). */
function resourcePaths(r: ResourceDoc) {
  const one = ref(r.schema);
  const singular = r.noun.toLowerCase();
  const tag = [r.nouns];
  const described = (text: string | undefined) => (text ? { description: text } : {});
  return {
    [`/api/v1/t/{tenant}/${r.path}`]: {
      parameters: [tenantParameter],
      get: {
        operationId: `list${r.nouns}`,
        summary: `List ${r.path}`,
        ...described(r.descriptions?.list),
        tags: tag,
        parameters: listParameters(r.sorts, r.extra),
        responses: {
          200: { description: "A page", content: json(pageOf(one)) },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: `create${r.noun}`,
        summary: `Create a ${singular}`,
        ...described(r.descriptions?.create),
        tags: tag,
        requestBody: recordBody(r.create),
        responses: {
          201: { description: "Created", headers: location, content: json(one) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
    },
    [`/api/v1/t/{tenant}/${r.path}/{id}`]: {
      parameters: [tenantParameter, idParameter()],
      get: {
        operationId: `get${r.noun}`,
        summary: `Get a ${singular}`,
        tags: tag,
        responses: { 200: { description: "Found", content: json(one) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: `update${r.noun}`,
        summary: `Change a ${singular}'s fields`,
        description: r.descriptions?.patch ?? "Only the fields sent change.",
        tags: tag,
        requestBody: recordBody(r.patch),
        responses: {
          200: { description: "Updated", content: json(one) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: `delete${r.noun}`,
        summary: `Delete a ${singular}`,
        ...described(r.descriptions?.delete),
        tags: tag,
        responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
      },
    },
  };
}

// ---- deals, pipelines and stages (src/deals/api-routes.ts) ----

const stageKind = { type: "string", enum: [...STAGE_KINDS] };

const dealSchema = {
  type: "object",
  required: [
    "id",
    "title",
    "amountCents",
    "currency",
    "expectedCloseOn",
    "pipelineId",
    "stageId",
    "status",
    "lostReason",
    "closedAt",
    "companyId",
    "ownerId",
    "contactIds",
    "tags",
    "createdAt",
    "updatedAt",
    "customFields",
  ],
  properties: {
    id: { type: "integer" },
    title: { type: "string" },
    amountCents: { type: "integer", description: "In the currency's minor unit (cents for USD)" },
    currency: { type: "string", description: "ISO 4217 code, e.g. USD" },
    expectedCloseOn: { type: ["string", "null"], format: "date" },
    pipelineId: { type: "integer" },
    stageId: { type: "integer" },
    status: { ...stageKind, description: "The kind of the deal's stage" },
    lostReason: { ...nullableString, description: "Only on a lost deal" },
    closedAt: { ...nullableDateTime, description: "When it reached a won or lost stage; null while open" },
    companyId: nullableId,
    ownerId: nullableId,
    contactIds: { type: "array", items: { type: "integer" }, description: "The people on the deal, by id" },
    tags,
    ...timestamps,
    customFields,
  },
};

const stageSchema = {
  type: "object",
  required: ["id", "name", "position", "probability", "kind"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    position: { type: "integer", description: "0-based, in board order" },
    probability: { type: "integer", minimum: 0, maximum: 100, description: "Chance of winning, in percent" },
    kind: { ...stageKind, description: "What reaching the stage means for a deal" },
  },
};

const pipelineSchema = {
  type: "object",
  required: ["id", "name", "position", "stages"],
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    position: { type: "integer" },
    stages: { type: "array", items: ref("Stage"), description: "In order" },
  },
};

const dealExtraParameters = [
  query("pipelineId", { type: "integer" }, "Only deals in this pipeline"),
  query("stageId", { type: "integer" }, "Only deals in this stage"),
  query("status", stageKind, "Only open, won or lost deals"),
  query("companyId", { type: "integer" }, "Only deals with this company"),
  query("contactId", { type: "integer" }, "Only deals this person is on"),
];

const ADMIN_403: [number, string] = [403, "Changing pipelines needs an admin or owner key"];

function pipelinePaths() {
  const tag = ["Pipelines"];
  const pipeline = ref("Pipeline");
  return {
    "/api/v1/t/{tenant}/pipelines": {
      parameters: [tenantParameter],
      get: {
        operationId: "listPipelines",
        summary: "List pipelines with their stages",
        description: "Every pipeline, in order, each with its ordered stages; all on one page.",
        tags: tag,
        responses: {
          200: {
            description: "Every pipeline",
            content: json(pageOf(pipeline, { type: "null", description: "Always null: one page" })),
          },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: "createPipeline",
        summary: "Create a pipeline",
        description:
          "Without `stages` it gets New, In progress, Won and Lost. Names are unique (case-insensitive). Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(pipelineInput),
        responses: {
          201: { description: "Created", headers: location, content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/pipelines/{id}": {
      parameters: [tenantParameter, idParameter("The pipeline's id")],
      get: {
        operationId: "getPipeline",
        summary: "Get a pipeline with its stages",
        tags: tag,
        responses: { 200: { description: "Found", content: json(pipeline) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: "renamePipeline",
        summary: "Rename a pipeline",
        description: "Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(pipelineInput.pick({ name: true })),
        responses: {
          200: { description: "Renamed", content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deletePipeline",
        summary: "Delete a pipeline",
        description:
          "Only a pipeline without deals (move or delete them first), and never the last one. Needs an admin or owner key.",
        tags: tag,
        responses: {
          204: { description: "Deleted" },
          ...errorResponses(401, ADMIN_403, 404, [
            422,
            "The pipeline still has deals, or it is the only pipeline (`errors` names `pipeline`)",
          ]),
        },
      },
    },
    "/api/v1/t/{tenant}/pipelines/{id}/stages": {
      parameters: [tenantParameter, idParameter("The pipeline's id")],
      post: {
        operationId: "addStage",
        summary: "Add a stage to a pipeline",
        description:
          "An open stage goes before the pipeline's won and lost stages, a won or lost one at the end; at most 20 stages. Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(stageInput),
        responses: {
          201: { description: "The pipeline with the new stage", content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/stages/{id}": {
      parameters: [tenantParameter, idParameter("The stage's id")],
      patch: {
        operationId: "updateStage",
        summary: "Change a stage",
        description:
          "Name, probability, kind (the deals in it take the new status) and position (the other stages shift to make room). Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(stagePatchInput),
        responses: {
          200: { description: "The stage's pipeline", content: json(pipeline) },
          ...errorResponses(400, 401, ADMIN_403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deleteStage",
        summary: "Delete a stage",
        description:
          "Only a stage without deals (move them first), and never a pipeline's only stage. Needs an admin or owner key.",
        tags: tag,
        responses: {
          204: { description: "Deleted" },
          ...errorResponses(401, ADMIN_403, 404, [
            422,
            "The stage still has deals, or it is its pipeline's only stage (`errors` names `stageId`)",
          ]),
        },
      },
    },
  };
}

// ---- interactions (src/interactions/api-routes.ts) ----

const interactionSchema = {
  type: "object",
  required: ["id", "occurredAt", "kind", "subjectType", "subjectId", "actorType", "actorName", "payload"],
  properties: {
    id: { type: "integer", description: "Only ever grows" },
    occurredAt: dateTime,
    kind: {
      type: "string",
      description:
        "`<subject>.created` {name} (`deal.created` also {stage}), `<subject>.updated` {changes: {field: [old, new]}}, `<subject>.deleted` {name} (`company.deleted` also {contactsUnlinked}) for contact, company and deal; `contact.merged`, `company.merged` {mergedId, name}; `contact.erased` {}; `deal.stage_changed` {fromStageId, toStageId, from, to}; `deal.won` {stage}; `deal.lost` {stage, reason}; `call`, `meeting`, `email` {summary, direction?}; `note.created` {noteId}; `task.completed` {taskId, title}",
    },
    subjectType: { type: "string", enum: [...SUBJECT_TYPES] },
    subjectId: { type: "integer" },
    actorType: { type: "string", enum: ["user", "api_key", "system"] },
    actorName: { ...nullableString, description: "The user's or API key's name; null for the system" },
    payload: { type: "object", description: "Depends on `kind` (see there)" },
  },
};

const subjectTypeParameter = (description: string, required: boolean) =>
  query("subjectType", { type: "string", enum: RECORD_SUBJECTS }, description, required);
const subjectIdParameter = (description: string, required: boolean) =>
  query("subjectId", { type: "integer", minimum: 1 }, description, required);

function interactionPaths() {
  const tag = ["Interactions"];
  return {
    "/api/v1/t/{tenant}/interactions": {
      parameters: [tenantParameter],
      get: {
        operationId: "listInteractions",
        summary: "A record's timeline",
        description:
          "Newest first. A contact's includes its deals'; a company's includes its people's and its deals'.",
        tags: tag,
        parameters: [
          subjectTypeParameter("What kind of record", true),
          subjectIdParameter("The record's id", true),
          query("cursor", { type: "integer", minimum: 1 }, "`nextCursor` from the previous (newer) page"),
          query(
            "history",
            { type: "string", enum: ["true", "false"] },
            "`true`: only changes to records (created, updated, deleted, merged, erased, stage changes, won, lost)",
          ),
          query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
        ],
        responses: {
          200: {
            description: "A page of the timeline",
            content: json(pageOf(ref("Interaction"))),
          },
          ...errorResponses(400, 401, [404, "No such workspace, or no such record in this workspace"]),
        },
      },
      post: {
        operationId: "logActivity",
        summary: "Log a call, meeting or email on a record",
        description: "`occurredAt` defaults to now and may not be more than a day ahead.",
        tags: tag,
        requestBody: jsonBody(activityInput),
        responses: {
          201: { description: "Logged", content: json(ref("Interaction")) },
          ...errorResponses(400, 401, 403, [404, "No such workspace, or no such subject"], 413, 415, 422),
        },
      },
    },
  };
}

// ---- tasks (src/tasks/api-routes.ts) ----

const taskSchema = {
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

function taskPaths() {
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

// ---- notes (src/notes/api-routes.ts) ----

const noteSchema = {
  type: "object",
  required: ["id", "body", "subjectType", "subjectId", "authorId", "createdAt", "updatedAt"],
  properties: {
    id: { type: "integer" },
    body: { type: "string", description: "Plain text, as typed" },
    subjectType: { type: "string", enum: RECORD_SUBJECTS },
    subjectId: { type: "integer" },
    authorId: { ...nullableId, description: "The user who wrote it; null when written with an API key" },
    ...timestamps,
  },
};

function notePaths() {
  const tag = ["Notes"];
  const note = ref("Note");
  return {
    "/api/v1/t/{tenant}/notes": {
      parameters: [tenantParameter],
      get: {
        operationId: "listNotes",
        summary: "A record's notes",
        description: "Newest first, the latest 100, on one page.",
        tags: tag,
        parameters: [
          subjectTypeParameter("What kind of record", true),
          subjectIdParameter("The record's id", true),
        ],
        responses: {
          200: {
            description: "The notes",
            content: json(pageOf(note, { type: "null", description: "Always null: one page" })),
          },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: "createNote",
        summary: "Add a note to a record",
        description: "Logs `note.created` on the record.",
        tags: tag,
        requestBody: jsonBody(noteInput),
        responses: {
          201: { description: "Created", headers: location, content: json(note) },
          ...errorResponses(400, 401, 403, [404, "No such workspace, or no such subject"], 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/notes/{id}": {
      parameters: [tenantParameter, idParameter("The note's id")],
      get: {
        operationId: "getNote",
        summary: "Get a note",
        tags: tag,
        responses: { 200: { description: "Found", content: json(note) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: "updateNote",
        summary: "Change a note's text",
        tags: tag,
        requestBody: jsonBody(z.object({ body: noteBody })),
        responses: {
          200: { description: "Updated", content: json(note) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deleteNote",
        summary: "Delete a note",
        tags: tag,
        responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
      },
    },
  };
}

// ---- search (src/search/api-routes.ts) ----

const searchHitSchema = {
  type: "object",
  required: ["type", "id", "title", "detail"],
  properties: {
    type: { type: "string", enum: ["contact", "company", "deal", "note"] },
    id: { type: "integer" },
    title: {
      type: "string",
      description:
        "A contact's name, a company's name, a deal's title; for a note, a snippet with each match in [ and ]",
    },
    detail: {
      ...nullableString,
      description: "A contact's email, title or company; a company's domain or city; a deal's stage",
    },
    subjectType: { type: "string", enum: RECORD_SUBJECTS, description: "Notes only: the record it is on" },
    subjectId: { type: "integer", description: "Notes only: the record it is on" },
  },
};

function searchPaths() {
  const hits = { type: "array", items: ref("SearchHit") };
  return {
    "/api/v1/t/{tenant}/search": {
      parameters: [tenantParameter],
      get: {
        operationId: "search",
        summary: "Search contacts, companies, deals and notes",
        description:
          "Best matches first within each kind, every word a prefix. A query with fewer than two letters or digits finds nothing.",
        tags: ["Search"],
        parameters: [
          query("q", { type: "string", maxLength: 200 }, "What to look for", true),
          query("limit", { type: "integer", minimum: 1, maximum: 50, default: 10 }, "Matches per kind"),
        ],
        responses: {
          200: {
            description: "The matches, by kind",
            content: json({
              type: "object",
              required: ["contact", "company", "deal", "note"],
              properties: { contact: hits, company: hits, deal: hits, note: hits },
            }),
          },
          ...errorResponses(400, 401, 404),
        },
      },
    },
  };
}

// ---- merging duplicates (src/merge/api-routes.ts) ----

interface MergeDoc {
  /** The path segment, e.g. "contacts". */
  path: string;
  noun: string;
  /** The tag, also the operation id's noun: "Contacts". */
  nouns: string;
  schema: string;
  request: z.ZodType;
  /** What moves from the duplicate besides its tags and custom values. */
  moves: string;
}

function mergePath(m: MergeDoc) {
  return {
    [`/api/v1/t/{tenant}/${m.path}/{id}/merge`]: {
      parameters: [tenantParameter, idParameter(`The ${m.noun} that stays`)],
      post: {
        operationId: `merge${m.nouns}`,
        summary: `Merge a duplicate ${m.noun} into this one`,
        description: `Folds \`duplicateId\` into this ${m.noun}, in one transaction: it takes the values chosen in \`keep\`, both records' tags, and the duplicate's ${m.moves}; the duplicate is then deleted. Logs \`${m.noun}.merged\` {mergedId, name} on this ${m.noun}, and \`${m.noun}.updated\` if its fields changed. Anything refused changes nothing.`,
        tags: [m.nouns],
        requestBody: jsonBody(m.request),
        responses: {
          200: { description: `This ${m.noun}, merged`, content: json(ref(m.schema)) },
          ...errorResponses(
            400,
            401,
            403,
            [404, `No such workspace, or either ${m.noun} is not in this workspace`],
            413,
            415,
            [
              422,
              `\`duplicateId\` is this ${m.noun} itself, a \`keep\` entry names no field or is not survivor or duplicate, or the two have more than 20 tags together; \`errors\` names the field`,
            ],
          ),
        },
      },
    },
  };
}

const FIELD_403: [number, string] = [403, "Changing custom fields needs an admin or owner key"];

// ---- custom field definitions (src/custom-fields/api-routes.ts) ----
function customFieldPaths() {
  const tag = ["Custom fields"];
  const field = ref("CustomField");
  return {
    "/api/v1/t/{tenant}/custom-fields": {
      parameters: [tenantParameter],
      get: {
        operationId: "listCustomFields",
        summary: "List the workspace's custom fields",
        description: "Contact, then company, then deal fields, each in their order; all on one page.",
        tags: tag,
        responses: {
          200: {
            description: "Every field",
            content: json(pageOf(field, { type: "null", description: "Always null: one page" })),
          },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        operationId: "createCustomField",
        summary: "Add a custom field",
        description:
          "`key` (lower-case letters, digits and _) names the field in `customFields`, in `cf=<key>:<value>` filters and in `sort=cf.<key>`; it never reaches SQL text. Selects and multiselects need `options`; at most 50 fields per kind of record. Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(fieldInput),
        responses: {
          201: { description: "Created", headers: location, content: json(field) },
          ...errorResponses(400, 401, FIELD_403, 404, 413, 415, 422),
        },
      },
    },
    "/api/v1/t/{tenant}/custom-fields/{id}": {
      parameters: [tenantParameter, idParameter("The field's id")],
      get: {
        operationId: "getCustomField",
        summary: "Get a custom field",
        tags: tag,
        responses: { 200: { description: "Found", content: json(field) }, ...errorResponses(401, 404) },
      },
      patch: {
        operationId: "updateCustomField",
        summary: "Rename a custom field or change its options",
        description:
          "Values no longer among the options are cleared from every record. Its key and type never change. Needs an admin or owner key.",
        tags: tag,
        requestBody: jsonBody(fieldPatchInput),
        responses: {
          200: { description: "Changed", content: json(field) },
          ...errorResponses(400, 401, FIELD_403, 404, 413, 415, 422),
        },
      },
      delete: {
        operationId: "deleteCustomField",
        summary: "Delete a custom field and every value of it",
        description: "Needs an admin or owner key.",
        tags: tag,
        responses: { 204: { description: "Deleted" }, ...errorResponses(401, FIELD_403, 404) },
      },
    },
  };
}

// ---- bulk changes (src/bulk/api-routes.ts) ----
function bulkPath(path: string, nouns: string) {
  const action = bodySchema(bulkActionInput) as { properties?: Record<string, unknown>; required?: string[] };
  return {
    [`/api/v1/t/{tenant}/${path}/bulk`]: {
      parameters: [tenantParameter],
      post: {
        operationId: `bulkChange${nouns}`,
        summary: `Change or delete many ${path} at once`,
        description: `One action on a selection (\`ids\`) or on every ${path.slice(0, -1) === "companie" ? "company" : path.slice(0, -1)} a list filter matches (\`filter\`: the list endpoint's query parameters, e.g. {"tag": "lead"}; at most ${MAX_BULK_RECORDS}). \`setOwner\` takes \`ownerId\` (null clears it), \`addTag\`/\`removeTag\` take \`tag\`${path === "deals" ? ", `moveStage` takes `stageId` (a stage of each deal's own pipeline)" : ""}. Each record changes through the same service as a single PATCH or DELETE and is logged the same way; everything happens in one transaction, so one refused record means nothing changes.`,
        tags: [nouns],
        requestBody: {
          required: true,
          content: json({
            type: "object",
            required: action.required,
            properties: {
              ...action.properties,
              ids: { type: "array", items: { type: "integer" }, minItems: 1, maxItems: MAX_BULK_RECORDS },
              filter: { type: "object", additionalProperties: { type: "string" } },
            },
          }),
        },
        responses: {
          200: {
            description: "Done",
            content: json({
              type: "object",
              required: ["matched", "changed"],
              properties: {
                matched: { type: "integer", description: "Records chosen" },
                changed: {
                  type: "integer",
                  description: "Records that changed (adding a tag a record has changes nothing)",
                },
              },
            }),
          },
          ...errorResponses(
            [400, "Malformed JSON, or a filter parameter outside the list's allow-list"],
            401,
            403,
            [404, "No such workspace, or a selected id is not in this workspace (nothing changed)"],
            413,
            415,
            [
              422,
              `A field is invalid, a record refused the change, or the filter matches more than ${MAX_BULK_RECORDS} records; nothing changed`,
            ],
          ),
        },
      },
    },
  };
}

/** The OpenAPI 3.1 document served at /api/v1/openapi.json. */
export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "CRM API",
    version: "1.0.0",
    description:
      "Contacts, companies, deals and their pipelines, tasks, notes, timelines and search of one workspace. Authenticate with `Authorization: Bearer <API key>`; a key works only for its own workspace and acts with its role (read-only keys cannot write; changing pipelines needs admin or owner). Unknown body fields are ignored; unknown query parameters are a 400.",
  },
  tags: [
    { name: "Contacts" },
    { name: "Companies" },
    { name: "Deals" },
    { name: "Pipelines", description: "Pipelines and their ordered stages" },
    { name: "Interactions", description: "Records' timelines, and logging calls, meetings and emails" },
    { name: "Tasks" },
    { name: "Notes" },
    { name: "Search" },
    { name: "Custom fields", description: "The workspace's own fields on contacts, companies and deals" },
    { name: "Meta" },
  ],
  components: {
    securitySchemes: { apiKey: { type: "http", scheme: "bearer" } },
    schemas: {
      Problem: problem,
      Contact: {
        type: "object",
        properties: {
          id: { type: "integer" },
          firstName: { type: "string" },
          lastName: { type: "string" },
          email: nullableString,
          phone: nullableString,
          title: nullableString,
          companyId: nullableId,
          ownerId: nullableId,
          tags,
          ...timestamps,
          customFields,
        },
      },
      Company: {
        type: "object",
        properties: {
          id: { type: "integer" },
          name: { type: "string" },
          domain: nullableString,
          phone: nullableString,
          city: nullableString,
          country: nullableString,
          ownerId: nullableId,
          tags,
          ...timestamps,
          customFields,
        },
      },
      Deal: dealSchema,
      Pipeline: pipelineSchema,
      Stage: stageSchema,
      Interaction: interactionSchema,
      Task: taskSchema,
      Note: noteSchema,
      SearchHit: searchHitSchema,
      CustomField: {
        type: "object",
        required: ["id", "entity", "key", "label", "type", "options", "position"],
        properties: {
          id: { type: "integer" },
          entity: { type: "string", enum: ["contact", "company", "deal"] },
          key: { type: "string" },
          label: { type: "string" },
          type: { type: "string", enum: ["text", "number", "date", "select", "multiselect", "checkbox"] },
          options: { type: "array", items: { type: "string" } },
          position: { type: "integer" },
        },
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    "/api/v1/openapi.json": {
      get: {
        operationId: "getOpenApiDocument",
        summary: "This document",
        tags: ["Meta"],
        security: [],
        responses: { 200: { description: "The OpenAPI 3.1 document", content: json({ type: "object" }) } },
      },
    },
    ...resourcePaths({
      path: "contacts",
      schema: "Contact",
      noun: "Contact",
      nouns: "Contacts",
      sorts: Object.keys(CONTACT_SORTS),
      create: contactCreateInput,
      patch: contactPatchInput,
      extra: [query("companyId", { type: "integer" }, "Only people at this company")],
    }),
    ...resourcePaths({
      path: "companies",
      schema: "Company",
      noun: "Company",
      nouns: "Companies",
      sorts: Object.keys(COMPANY_SORTS),
      create: companyCreateInput,
      patch: companyPatchInput,
    }),
    ...mergePath({
      path: "contacts",
      noun: "contact",
      nouns: "Contacts",
      schema: "Contact",
      request: contactMergeRequest,
      moves: "deals, notes, tasks, custom values and timeline",
    }),
    ...mergePath({
      path: "companies",
      noun: "company",
      nouns: "Companies",
      schema: "Company",
      request: companyMergeRequest,
      moves: "people, deals, notes, tasks, custom values and timeline",
    }),
    ...resourcePaths({
      path: "deals",
      schema: "Deal",
      noun: "Deal",
      nouns: "Deals",
      sorts: Object.keys(DEAL_SORTS),
      create: dealCreateInput,
      patch: dealPatchInput,
      extra: dealExtraParameters,
      descriptions: {
        list: "`q` also matches the deal's company's name. `sort=name` sorts by title, `sort=amount` by `amountCents`.",
        create:
          "Without `stageId` the deal starts in the first open stage of `pipelineId` (or of the first pipeline); a `stageId` must belong to `pipelineId` when both are given. `currency` defaults to the workspace's. Logs `deal.created`.",
        patch:
          "Only the fields sent change. A new `stageId` moves the deal to that stage of its own pipeline (logged as `deal.stage_changed`, plus `deal.won` or `deal.lost`; `status` and `closedAt` follow the stage); a stage of another pipeline is a 422 naming `stageId`, and nothing changes. `pipelineId` cannot change. `lostReason` comes with a `stageId` of a lost stage, or alone to correct a lost deal's reason (a 422 naming it on an open or won deal).",
        delete: "Its notes go with it; its tasks stay, unlinked. Logs `deal.deleted`.",
      },
    }),
    ...pipelinePaths(),
    ...interactionPaths(),
    ...taskPaths(),
    ...notePaths(),
    ...searchPaths(),
    ...customFieldPaths(),
    ...bulkPath("contacts", "Contacts"),
    ...bulkPath("companies", "Companies"),
    ...bulkPath("deals", "Deals"),
  },
};
