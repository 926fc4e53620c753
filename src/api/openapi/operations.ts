import { idParameter, json, location, pageOf, tenantParameter } from "./parts.ts";
import { ANY_REQUEST, ANY_WRITE, type ErrorStatus, problemResponses } from "./problems.ts";

// The OpenAPI document, part: the shapes its operations share. Each builder writes an
// operation's keys in the document's order (operationId, summary, description, tags,
// parameters, requestBody, responses), so the parts read as what differs between operations.

/** What an operation says about itself. */
export interface OperationInfo {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
}

/** A successful answer: its description and its JSON body's schema. */
export interface Answer {
  description: string;
  schema: object;
}

/** The problems any write can answer with; `own` rewords some or adds others (e.g. `[403, "Needs an admin"]`). */
export function writeErrors(...own: ErrorStatus[]): ErrorStatus[] {
  return [...ANY_WRITE, ...own];
}

/** The problems any read can answer with, plus `own` (added, or rewording a shared one). */
export function readErrors(...own: ErrorStatus[]): ErrorStatus[] {
  return [...ANY_REQUEST, ...own];
}

/** The problems a DELETE can answer with (it has no body), plus `own`. */
export function deleteErrors(...own: ErrorStatus[]): ErrorStatus[] {
  return [...ANY_REQUEST, 403, 507, ...own];
}

/** The parameters of a collection's path (`/t/{tenant}/…`) and of one item's (`…/{id}`). */
export const collectionParameters = () => [tenantParameter];
export const itemParameters = (id?: string) => [tenantParameter, idParameter(id)];

/** `{data, nextCursor: null}`: a list that always fits on one page. */
export const onePageOf = (item: object) =>
  pageOf(item, { type: "null", description: "Always null: one page" });

function operation(
  info: OperationInfo,
  input: { parameters?: object[]; requestBody?: object },
  responses: Record<number, object>,
) {
  return {
    operationId: info.operationId,
    summary: info.summary,
    ...(info.description === undefined ? {} : { description: info.description }),
    tags: info.tags,
    ...input,
    responses,
  };
}

/** GET of a list: 200 with `answer`, or the problems of any read (or `errors`). */
export function listOperation(
  info: OperationInfo,
  parameters: object[] | undefined,
  answer: Answer,
  errors: ErrorStatus[] = readErrors(),
) {
  return operation(info, parameters ? { parameters } : {}, {
    200: { description: answer.description, content: json(answer.schema) },
    ...problemResponses(...errors),
  });
}

/** GET of one item: 200 "Found", or the problems of any read (or `errors`). */
export function getOperation(info: OperationInfo, schema: object, errors: ErrorStatus[] = readErrors()) {
  return operation(
    info,
    {},
    {
      200: { description: "Found", content: json(schema) },
      ...problemResponses(...errors),
    },
  );
}

/** POST creating an item: 201 with its URL in `Location`, or a write's problems. */
export function createOperation(
  info: OperationInfo,
  requestBody: object,
  schema: object,
  errors: ErrorStatus[] = writeErrors(),
) {
  return operation(
    info,
    { requestBody },
    {
      201: { description: "Created", headers: location, content: json(schema) },
      ...problemResponses(...errors),
    },
  );
}

/** A write answering with a body (`status` 200, or 201 for an addition without a URL of its own). */
export function writeOperation(
  info: OperationInfo,
  requestBody: object,
  answer: Answer & { status?: 200 | 201 },
  errors: ErrorStatus[] = writeErrors(),
) {
  return operation(
    info,
    { requestBody },
    {
      [answer.status ?? 200]: { description: answer.description, content: json(answer.schema) },
      ...problemResponses(...errors),
    },
  );
}

/** DELETE: 204, or the problems of any request, a role's 403 and a full disk's 507 (or `errors`). */
export function deleteOperation(info: OperationInfo, errors: ErrorStatus[] = deleteErrors()) {
  return operation(info, {}, { 204: { description: "Deleted" }, ...problemResponses(...errors) });
}
