import { z } from "zod";
import { RECORD_TYPES } from "../../core/record-types.ts";
import { ISO_INSTANT } from "../../lists/list-params.ts";
import { ANY_REQUEST, type ErrorStatus, problemResponses, problemSchema } from "./problems.ts";
import { withFieldRules, withInt64Ids } from "./schema-rules.ts";

/** Shared pieces of the OpenAPI document: JSON Schema from zod, common schemas, pages, parameters. */
// The OpenAPI document, part: A request body's JSON Schema, derived from the same zod schema that validates it.

export function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return withInt64Ids(json) as Record<string, unknown>;
}

/** A record's id: a positive 64-bit integer (in practice within JavaScript's safe integers). */
export const id = { type: "integer", format: "int64", minimum: 1 };
/** A cursor: opaque text, passed back exactly as a page answered it. */
export const cursor = {
  type: "string",
  minLength: 1,
  description: "Opaque: pass a page's `nextCursor` (or `prevCursor`) back unchanged",
};
/** `nextCursor`/`prevCursor` on a page: a cursor, or null where there is no such page. */
export const nullableCursor = { type: ["string", "null"] };
export const nullableString = { type: ["string", "null"] };
export const nullableId = { type: ["integer", "null"], format: "int64", minimum: 1 };
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

/**
 * The problem+json body (problems.ts problemSchema), under the name parts written before the
 * shared responses use.
 */
export const problem = problemSchema;

/**
 * An operation's problem answers, for parts written before problemResponses: the shared
 * responses of what any request under /t/{tenant} can meet (ANY_REQUEST: 400, 401, 404, 429,
 * 431, 500, 503) plus `statuses`. New parts: problemResponses with writeErrors() and co.
 */
export const errorResponses = (...statuses: ErrorStatus[]) => problemResponses(...ANY_REQUEST, ...statuses);

export const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
export const json = (s: object) => ({ "application/json": { schema: s } });
/** A required JSON body from its zod schema, with `rules` stated per field (see withFieldRules). */
export const jsonBody = (schema: z.ZodType, rules: Record<string, Record<string, unknown>> = {}) => ({
  required: true,
  content: json(withFieldRules(bodySchema(schema), rules)),
});

/**
 * A contact's, company's or deal's body: the zod schema's fields plus `customFields`, which
 * the routes read from the same body and check against the workspace's fields.
 */
export function recordBody(schema: z.ZodType, rules: Record<string, Record<string, unknown>> = {}) {
  const derived = withFieldRules(bodySchema(schema), rules) as { properties?: Record<string, unknown> };
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
  schema: id,
  description,
});

/** `{data, nextCursor}`: one page of a list. */
export function pageOf(
  item: object,
  nextCursor: object = {
    ...nullableCursor,
    description: "Pass as `cursor` for the next page; null on the last",
  },
) {
  return {
    type: "object",
    required: ["data", "nextCursor"],
    additionalProperties: false,
    properties: { data: { type: "array", items: item }, nextCursor },
  };
}

/** `{data, nextCursor, prevCursor}`: one page of a keyset list that pages both ways. */
export function twoWayPageOf(item: object) {
  return {
    type: "object",
    required: ["data", "nextCursor", "prevCursor"],
    additionalProperties: false,
    properties: {
      data: { type: "array", items: item },
      nextCursor: { ...nullableCursor, description: "Pass as `cursor` for the next page; null on the last" },
      prevCursor: {
        ...nullableCursor,
        description: "Pass as `cursor` for the page before this one; null on the first",
      },
    },
  };
}

export const location = {
  Location: { description: "The new record's URL", required: true, schema: { type: "string" } },
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
    query("ownerId", id, "Only records owned by this user"),
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
      cursor,
      "`nextCursor` (the next page) or `prevCursor` (the page before) of the page in hand",
    ),
    query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
  ];
}
