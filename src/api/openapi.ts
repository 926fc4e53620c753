import { companyCreateInput, companyPatchInput } from "../companies/company-input.ts";
import { COMPANY_SORTS } from "../companies/list-companies.ts";
import { contactCreateInput, contactPatchInput } from "../contacts/contact-input.ts";
import { CONTACT_SORTS } from "../contacts/list-contacts.ts";
import { dealCreateInput, dealPatchInput } from "../deals/deal-input.ts";
import { DEAL_SORTS } from "../deals/list-deals.ts";
import { companyMergeRequest, contactMergeRequest } from "../merge/merge-input.ts";
import { documentApiContract } from "./openapi/api-contract.ts";
import { batchPath, exactFilters, externalIdProperty, withIdempotencyKeys } from "./openapi/batch.ts";
import { bulkPath } from "./openapi/bulk.ts";
import { changeSchema, changesPaths, userSchema } from "./openapi/changes.ts";
import { contactEngagementSchema } from "./openapi/contacts-engagement.ts";
import { customFieldPaths } from "./openapi/custom-fields.ts";
import { dealExtraParameters, dealSchema } from "./openapi/deals.ts";
import { eventPaths } from "./openapi/events.ts";
import { interactionPaths, interactionSchema } from "./openapi/interactions.ts";
import { mergePath } from "./openapi/merge.ts";
import { notePaths, noteSchema } from "./openapi/notes.ts";
import {
  cursor,
  customFields,
  id,
  json,
  nullableId,
  nullableString,
  query,
  RECORD_SUBJECTS,
  tags,
  timestamps,
} from "./openapi/parts.ts";
import { pipelinePaths, pipelineSchema, stageSchema } from "./openapi/pipelines.ts";
import { problemTypePaths, problemTypeSchema } from "./openapi/problem-types.ts";
import { PROBLEM_RESPONSES, problemResponses, problemSchema } from "./openapi/problems.ts";
import { reportPaths, reportSchemas } from "./openapi/reports.ts";
import { resourcePaths } from "./openapi/resource-paths.ts";
import { CURRENCY_CODE, oneLine } from "./openapi/schema-rules.ts";
import { searchHitSchema, searchPaths } from "./openapi/search.ts";
import { segmentPaths, segmentSchemas } from "./openapi/segments.ts";
import { relativeServers } from "./openapi/servers.ts";
import { taskPaths, taskSchema } from "./openapi/tasks.ts";
import { webhookPaths, webhookSchemas } from "./openapi/webhooks.ts";

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
    { name: "Reports", description: "Figures behind the reports pages, computed in the worker pool" },
    { name: "Segments", description: "Saved rules on contacts, and the contacts they hold now" },
    { name: "Events", description: "Batches of web visits, email opens and clicks and form submissions" },
    {
      name: "Webhooks",
      description: "Signed POSTs of the workspace's changes to your URLs (README: Webhooks)",
    },
    { name: "Meta" },
  ],
  servers: relativeServers,
  components: {
    securitySchemes: { apiKey: { type: "http", scheme: "bearer" } },
    responses: PROBLEM_RESPONSES,
    schemas: {
      Problem: problemSchema,
      ProblemType: problemTypeSchema,
      Id: id,
      Cursor: cursor,
      Contact: {
        type: "object",
        required: [
          "id",
          "firstName",
          "lastName",
          "email",
          "phone",
          "title",
          "companyId",
          "ownerId",
          "tags",
          "externalId",
          "createdAt",
          "updatedAt",
          "customFields",
        ],
        additionalProperties: false,
        properties: {
          id,
          firstName: { type: "string" },
          lastName: { type: "string" },
          email: nullableString,
          phone: nullableString,
          title: nullableString,
          companyId: nullableId,
          ownerId: nullableId,
          tags,
          ...externalIdProperty,
          ...timestamps,
          customFields,
          engagement: contactEngagementSchema,
        },
      },
      Company: {
        type: "object",
        required: [
          "id",
          "name",
          "domain",
          "phone",
          "city",
          "country",
          "ownerId",
          "tags",
          "externalId",
          "createdAt",
          "updatedAt",
          "customFields",
        ],
        additionalProperties: false,
        properties: {
          id,
          name: { type: "string" },
          domain: nullableString,
          phone: nullableString,
          city: nullableString,
          country: nullableString,
          ownerId: nullableId,
          tags,
          ...externalIdProperty,
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
      Change: changeSchema,
      User: userSchema,
      SearchHit: searchHitSchema,
      ...reportSchemas,
      ...segmentSchemas,
      ...webhookSchemas,
      CustomField: {
        type: "object",
        required: ["id", "entity", "key", "label", "type", "options", "position"],
        additionalProperties: false,
        properties: {
          id,
          entity: { type: "string", enum: RECORD_SUBJECTS },
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
  paths: withIdempotencyKeys({
    "/api/v1/openapi.json": {
      get: {
        operationId: "getOpenApiDocument",
        summary: "This document",
        tags: ["Meta"],
        security: [],
        responses: {
          200: { description: "The OpenAPI 3.1 document", content: json({ type: "object" }) },
          ...problemResponses(429, 431, 500),
        },
      },
    },
    ...problemTypePaths(),
    ...resourcePaths({
      path: "contacts",
      schema: "Contact",
      noun: "Contact",
      nouns: "Contacts",
      sorts: Object.keys(CONTACT_SORTS),
      create: contactCreateInput,
      patch: contactPatchInput,
      rules: { email: { format: "email" }, ...oneLine("firstName", "lastName", "title") },
      extra: [query("companyId", id, "Only people at this company"), ...exactFilters.contacts],
    }),
    ...resourcePaths({
      path: "companies",
      schema: "Company",
      noun: "Company",
      nouns: "Companies",
      sorts: Object.keys(COMPANY_SORTS),
      create: companyCreateInput,
      patch: companyPatchInput,
      rules: {
        domain: { description: "A hostname like acme.com; a pasted URL is reduced to its host" },
        ...oneLine("name", "city", "country"),
      },
      extra: exactFilters.companies,
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
      rules: {
        currency: CURRENCY_CODE,
        expectedCloseOn: { format: "date" },
        ...oneLine("title", "lostReason"),
      },
      extra: [...dealExtraParameters, ...exactFilters.deals],
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
    ...eventPaths(),
    ...taskPaths(),
    ...notePaths(),
    ...changesPaths(),
    ...searchPaths(),
    ...customFieldPaths(),
    ...reportPaths(),
    ...segmentPaths(),
    ...webhookPaths(),
    ...bulkPath("contacts", "Contacts"),
    ...bulkPath("companies", "Companies"),
    ...bulkPath("deals", "Deals"),
    ...batchPath("contacts", "Contacts", "Contact", "POST /contacts"),
    ...batchPath("companies", "Companies", "Company", "POST /companies"),
    ...batchPath("deals", "Deals", "Deal", "POST /deals"),
  }),
};

documentApiContract(OPENAPI_DOCUMENT);
