import { type Context, Hono } from "hono";
import { companyJson } from "../companies/company-record.ts";
import { getCompany } from "../companies/get-company.ts";
import { contactJson } from "../contacts/contact-record.ts";
import { getContact } from "../contacts/get-contact.ts";
import { parseOrThrow } from "../core/validation.ts";
import { listFields } from "../custom-fields/field-definitions.ts";
import { readCustomValues } from "../custom-fields/field-values.ts";
import type { CustomFieldEntity } from "../custom-fields/schema.ts";
import type { ViewerEnv } from "../http/app-env.ts";
import { idParam } from "../http/page-context.ts";
import { readJsonObject } from "../http/read-json.ts";
import { actorOf } from "../identity/viewer.ts";
import { mergeCompanies } from "./merge-companies.ts";
import { mergeContacts } from "./merge-contacts.ts";
import { companyMergeRequest, contactMergeRequest } from "./merge-input.ts";

type C = Context<ViewerEnv>;

/** A record's JSON with its custom values, as GET /contacts/:id and /companies/:id answer. */
function withCustomFields(c: C, entity: CustomFieldEntity, json: { id: number }) {
  const values = readCustomValues(c.var.shard, listFields(c.var.shard, entity), [json.id]);
  return { ...json, customFields: values.get(json.id) ?? {} };
}

/**
 * POST /api/v1/t/:tenant/contacts/:id/merge and /companies/:id/merge: folds `duplicateId`
 * into the record in the URL and answers with that record. The record in the URL is looked up
 * first, so an unknown one is a 404 whatever the body says.
 */
export function mergeApiRoutes() {
  const app = new Hono<ViewerEnv>();

  app.post("/contacts/:id/merge", async (c) => {
    const survivorId = getContact(c.var.shard, idParam(c)).id;
    const request = parseOrThrow(contactMergeRequest, await readJsonObject(c));
    const merged = mergeContacts(c.var.shard, actorOf(c.var.viewer), { ...request, survivorId });
    return c.json(withCustomFields(c, "contact", contactJson(merged)));
  });

  app.post("/companies/:id/merge", async (c) => {
    const survivorId = getCompany(c.var.shard, idParam(c)).id;
    const request = parseOrThrow(companyMergeRequest, await readJsonObject(c));
    const merged = mergeCompanies(c.var.shard, actorOf(c.var.viewer), { ...request, survivorId });
    return c.json(withCustomFields(c, "company", companyJson(merged)));
  });

  return app;
}
