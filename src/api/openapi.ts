import { z } from "zod";
import { companyCreateInput, companyPatchInput } from "../companies/company-input.ts";
import { COMPANY_SORTS } from "../companies/list-companies.ts";
import { contactCreateInput, contactPatchInput } from "../contacts/contact-input.ts";
import { CONTACT_SORTS } from "../contacts/list-contacts.ts";

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
const timestamps = {
  createdAt: { type: "string", format: "date-time" },
  updatedAt: { type: "string", format: "date-time" },
};
const tags = { type: "array", items: { type: "string" } };

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

function errorResponses(...statuses: number[]) {
  const text: Record<number, string> = {
    400: "Malformed JSON, an unknown parameter, or a sort or filter outside the allow-list",
    401: "Missing, unknown or revoked API key, or a key for another workspace",
    403: "The key's role may not do this (read-only keys cannot write)",
    404: "No such workspace, or no such record in this workspace",
    413: "The body is larger than the limit",
    415: "The body is not application/json",
    422: "A field is invalid; `errors` names it",
  };
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: text[s],
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      },
    ]),
  );
}

function listParameters(sorts: string[], extra: object[] = []) {
  const query = (name: string, schema: object, description: string) => ({
    name,
    in: "query",
    schema,
    description,
  });
  return [
    query("q", { type: "string", maxLength: 200 }, "Full-text search (prefix match on every word)"),
    query("tag", { type: "string" }, "Only records with this tag"),
    query("ownerId", { type: "integer" }, "Only records owned by this user"),
    query("createdFrom", { type: "string", format: "date" }, "Created on or after this day (UTC)"),
    query("createdTo", { type: "string", format: "date" }, "Created on or before this day (UTC)"),
    ...extra,
    query("sort", { type: "string", enum: sorts, default: "createdAt" }, "Sort field"),
    query("order", { type: "string", enum: ["asc", "desc"] }, "Default: desc, or asc for name"),
    query("cursor", { type: "string" }, "`nextCursor` from the previous page"),
    query("limit", { type: "integer", minimum: 1, maximum: 200, default: 50 }, "Page size"),
  ];
}

function resourcePaths(
  path: string,
  schema: string,
  sorts: string[],
  create: z.ZodType,
  patch: z.ZodType,
  extra: object[] = [],
) {
  const ref = { $ref: `#/components/schemas/${schema}` };
  const json = (s: object) => ({ "application/json": { schema: s } });
  const idParameter = { name: "id", in: "path", required: true, schema: { type: "integer" } };
  const tenant = {
    name: "tenant",
    in: "path",
    required: true,
    schema: { type: "string" },
    description: "Workspace slug",
  };
  return {
    [`/api/v1/t/{tenant}/${path}`]: {
      parameters: [tenant],
      get: {
        summary: `List ${path}`,
        parameters: listParameters(sorts, extra),
        responses: {
          200: {
            description: "A page",
            content: json({
              type: "object",
              properties: { data: { type: "array", items: ref }, nextCursor: nullableString },
            }),
          },
          ...errorResponses(400, 401, 404),
        },
      },
      post: {
        summary: `Create one of the ${path}`,
        requestBody: { required: true, content: json(bodySchema(create)) },
        responses: {
          201: { description: "Created", content: json(ref) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
    },
    [`/api/v1/t/{tenant}/${path}/{id}`]: {
      parameters: [tenant, idParameter],
      get: {
        summary: "Get one",
        responses: { 200: { description: "Found", content: json(ref) }, ...errorResponses(401, 404) },
      },
      patch: {
        summary: "Change the fields given",
        requestBody: { required: true, content: json(bodySchema(patch)) },
        responses: {
          200: { description: "Updated", content: json(ref) },
          ...errorResponses(400, 401, 403, 404, 413, 415, 422),
        },
      },
      delete: {
        summary: "Delete",
        responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
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
      "Contacts and companies of one workspace. Authenticate with `Authorization: Bearer <API key>`; a key works only for its own workspace.",
  },
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
        },
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    ...resourcePaths(
      "contacts",
      "Contact",
      Object.keys(CONTACT_SORTS),
      contactCreateInput,
      contactPatchInput,
      [
        {
          name: "companyId",
          in: "query",
          schema: { type: "integer" },
          description: "Only people at this company",
        },
      ],
    ),
    ...resourcePaths(
      "companies",
      "Company",
      Object.keys(COMPANY_SORTS),
      companyCreateInput,
      companyPatchInput,
    ),
  },
};
