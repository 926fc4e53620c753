import { externalIdProperty } from "./batch.ts";
import {
  customFields,
  id,
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
  additionalProperties: false,
  properties: {
    id,
    title: { type: "string" },
    amountCents: { type: "integer", description: "In the currency's minor unit (cents for USD)" },
    currency: { type: "string", pattern: "^[A-Z]{3}$", description: "ISO 4217 code, e.g. USD" },
    expectedCloseOn: { type: ["string", "null"], format: "date" },
    pipelineId: id,
    stageId: id,
    status: { ...stageKind, description: "The kind of the deal's stage" },
    lostReason: { ...nullableString, description: "Only on a lost deal" },
    closedAt: { ...nullableDateTime, description: "When it reached a won or lost stage; null while open" },
    companyId: nullableId,
    ownerId: nullableId,
    contactIds: { type: "array", items: id, description: "The people on the deal, by id" },
    tags,
    ...externalIdProperty,
    ...timestamps,
    customFields,
  },
};

export const dealExtraParameters = [
  query("pipelineId", id, "Only deals in this pipeline"),
  query("stageId", id, "Only deals in this stage"),
  query("status", stageKind, "Only open, won or lost deals"),
  query("companyId", id, "Only deals with this company"),
  query("contactId", id, "Only deals this person is on"),
];
