import type { z } from "zod";
import {
  collectionParameters,
  createOperation,
  deleteOperation,
  getOperation,
  itemParameters,
  listOperation,
  writeOperation,
} from "./operations.ts";
import { listParameters, recordBody, ref, twoWayPageOf } from "./parts.ts";

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
  /** More of the server's rules per body field than zod's JSON Schema says (see withFieldRules). */
  rules?: Record<string, Record<string, unknown>>;
  descriptions?: { list?: string; create?: string; patch?: string; delete?: string };
}

/** List, create, get, PATCH and DELETE of one record type (the record API routes in src/records). */
export function resourcePaths(r: ResourceDoc) {
  const one = ref(r.schema);
  const singular = r.noun.toLowerCase();
  const tags = [r.nouns];
  const text = r.descriptions ?? {};
  return {
    [`/api/v1/t/{tenant}/${r.path}`]: {
      parameters: collectionParameters(),
      get: listOperation(
        { operationId: `list${r.nouns}`, summary: `List ${r.path}`, description: text.list, tags },
        listParameters(r.sorts, r.extra),
        { description: "A page", schema: twoWayPageOf(one) },
      ),
      post: createOperation(
        { operationId: `create${r.noun}`, summary: `Create a ${singular}`, description: text.create, tags },
        recordBody(r.create, r.rules),
        one,
      ),
    },
    [`/api/v1/t/{tenant}/${r.path}/{id}`]: {
      parameters: itemParameters(),
      get: getOperation({ operationId: `get${r.noun}`, summary: `Get a ${singular}`, tags }, one),
      patch: writeOperation(
        {
          operationId: `update${r.noun}`,
          summary: `Change a ${singular}'s fields`,
          description: text.patch ?? "Only the fields sent change.",
          tags,
        },
        recordBody(r.patch, r.rules),
        { description: "Updated", schema: one },
      ),
      delete: deleteOperation({
        operationId: `delete${r.noun}`,
        summary: `Delete a ${singular}`,
        description: text.delete,
        tags,
      }),
    },
  };
}
