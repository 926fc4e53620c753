import type { z } from "zod";
import {
  errorResponses,
  idParameter,
  json,
  listParameters,
  location,
  recordBody,
  ref,
  tenantParameter,
  twoWayPageOf,
} from "./parts.ts";

// The OpenAPI document, part: Contacts, companies and deals: list, create, get, PATCH and DELETE.

export interface ResourceDoc {
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
export function resourcePaths(r: ResourceDoc) {
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
          200: { description: "A page", content: json(twoWayPageOf(one)) },
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
