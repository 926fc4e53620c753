import { z } from "zod";
import { RECORD_TYPES } from "../../core/record-types.ts";
import { ISO_INSTANT } from "../../lists/list-params.ts";

/** Shared pieces of the OpenAPI document: JSON Schema from zod, problem responses, parameters. */
// The OpenAPI document, part: A request body's JSON Schema, derived from the same zod schema that validates it.

export function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return json;
}

export const nullableString = { type: ["string", "null"] };
export const nullableId = { type: ["integer", "null"] };
export const nullableDateTime = { type: ["string", "null"], format: "date-time" };
export const dateTime = { type: "string", format: "date-time" };
export const timestamps = {
  createdAt: dateTime,
  updatedAt: dateTime,
};
export const tags = { type: "array", items: { type: "string" } };
export const customValue = {
  type: ["string", "number", "boolean", "array", "null"],
  items: { type: "string" },
  description:
    "text, select and date (YYYY-MM-DD): a string; number: a number; checkbox: a boolean; multiselect: an array of options",
};
/** `customFields` on a contact, company or deal: the workspace's own fields, by key. */
export const customFields = {
  type: "object",
  additionalProperties: customValue,
  description: "The workspace's custom fields, by key; a field without a value is absent",
};
/** What notes, tasks and logged activities can be about. */
export const RECORD_SUBJECTS: string[] = [...RECORD_TYPES];

export const problem = {
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

export const ERROR_TEXT: Record<number, string> = {
  400: "Malformed JSON, an unknown parameter, or a sort or filter outside the allow-list",
  401: "Missing, unknown or revoked API key, or a key for another workspace",
  403: "The key's role may not do this (read-only keys cannot write)",
  404: "No such workspace, or no such record in this workspace",
  413: "The body is larger than the limit",
  415: "The body is not application/json",
  422: "A field is invalid; `errors` names it",
};

/** Problem responses; a status may come with its own description (`[422, "…"]`). */
export function errorResponses(...statuses: (number | [number, string])[]) {
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

export const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
export const json = (s: object) => ({ "application/json": { schema: s } });
export const jsonBody = (schema: z.ZodType) => ({ required: true, content: json(bodySchema(schema)) });

/**
 * A contact's, company's or deal's body: the zod schema's fields plus `customFields`, which
 * the routes read from the same body and check against the workspace's fields.
 */
export function recordBody(schema: z.ZodType) {
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

export const query = (name: string, schema: object, description: string, required = false) => ({
  name,
  in: "query",
  ...(required ? { required: true } : {}),
  schema,
  description,
});

export const tenantParameter = {
  name: "tenant",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "Workspace slug",
};
export const idParameter = (description = "The record's id") => ({
  name: "id",
  in: "path",
  required: true,
  schema: { type: "integer" },
  description,
});

/** `{data, nextCursor}`: one page of a list. */
export function pageOf(item: object, nextCursor: object = nullableString) {
  return {
    type: "object",
    required: ["data", "nextCursor"],
    properties: { data: { type: "array", items: item }, nextCursor },
  };
}

/** `{data, nextCursor, prevCursor}`: one page of a keyset list that pages both ways. */
export function twoWayPageOf(item: object) {
  return {
    type: "object",
    required: ["data", "nextCursor", "prevCursor"],
    properties: {
      data: { type: "array", items: item },
      nextCursor: { ...nullableString, description: "Pass as `cursor` for the next page; null on the last" },
      prevCursor: {
        ...nullableString,
        description: "Pass as `cursor` for the page before this one; null on the first",
      },
    },
  };
}

export const location = {
  Location: { description: "The new record's URL", schema: { type: "string" } },
};

/** `updatedSince`: an ISO 8601 date and time with a zone (src/lists/list-params.ts updatedSinceParam). */
export const updatedSinceParameter = (description: string) =>
  query(
    "updatedSince",
    {
      type: "string",
      format: "date-time",
      maxLength: 40,
      pattern: ISO_INSTANT.source,
    },
    `${description}; a date and time with a zone, e.g. 2026-12-01T10:00:00Z`,
  );

export function listParameters(sorts: string[], extra: object[] = []) {
  return [
    query("q", { type: "string", maxLength: 200 }, "Full-text search (prefix match on every word)"),
    query("tag", { type: "string" }, "Only records with this tag"),
    query("ownerId", { type: "integer", minimum: 1 }, "Only records owned by this user"),
    query("createdFrom", { type: "string", format: "date" }, "Created on or after this day (UTC)"),
    query("createdTo", { type: "string", format: "date" }, "Created on or before this day (UTC)"),
    updatedSinceParameter("Only records changed at or after this instant (`updatedAt >=`)"),
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
    query(
      "order",
      { type: "string", enum: ["asc", "desc"] },
      "Default: desc, or asc for name. With `sort=updatedAt&order=asc` the last page still answers a `nextCursor`: poll with it for what changed since",
    ),
    query(
      "cursor",
      { type: "string" },
      "`nextCursor` (the next page) or `prevCursor` (the page before) of the page in hand",
    ),
    query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
  ];
}
