import { externalIdProperty } from "./batch.ts";
import {
  customFields,
  nullableDateTime,
  nullableId,
  nullableString,
  query,
  tags,
  timestamps,
} from "./parts.ts";
import { stageKind } from "./pipelines.ts";

// The OpenAPI document, part: Deals (src/deals/api-routes.ts); their pipelines are in pipelines.ts.

export const dealSchema = {
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
    "externalId",
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
    ...externalIdProperty,
    ...timestamps,
    customFields,
  },
};

export const dealExtraParameters = [
  query("pipelineId", { type: "integer", minimum: 1 }, "Only deals in this pipeline"),
  query("stageId", { type: "integer", minimum: 1 }, "Only deals in this stage"),
  query("status", stageKind, "Only open, won or lost deals"),
  query("companyId", { type: "integer", minimum: 1 }, "Only deals with this company"),
  query("contactId", { type: "integer", minimum: 1 }, "Only deals this person is on"),
];
