import type { StageKind } from "../pipelines/schema.ts";
import type { RecordTable } from "../records/record-table.ts";
import { tagsFromColumn } from "../tags/tag-input.ts";

/** A deal as services return it: the row plus the names lists and pages show. */
export interface DealRecord {
  id: number;
  title: string;
  amountCents: number;
  currency: string;
  expectedCloseOn: string | null;
  pipelineId: number;
  pipelineName: string;
  stageId: number;
  stageName: string;
  stageProbability: number;
  companyId: number | null;
  companyName: string | null;
  ownerId: number | null;
  ownerName: string | null;
  status: StageKind;
  lostReason: string | null;
  closedAt: number | null;
  stageEnteredAt: number;
  tags: string[];
  externalId: string | null;
  createdAt: number;
  updatedAt: number;
}

export const DEAL_COLUMNS = `d.id, d.title, d.amount_cents AS amountCents, d.currency, d.expected_close_on AS expectedCloseOn,
  d.pipeline_id AS pipelineId, p.name AS pipelineName, d.stage_id AS stageId, s.name AS stageName,
  s.probability AS stageProbability, d.company_id AS companyId, co.name AS companyName, d.owner_id AS ownerId,
  u.name AS ownerName, d.status, d.lost_reason AS lostReason, d.closed_at AS closedAt,
  d.stage_entered_at AS stageEnteredAt, d.tags, d.external_id AS externalId, d.created_at AS createdAt,
  d.updated_at AS updatedAt`;

export const DEAL_JOINS = `JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
  LEFT JOIN companies co ON co.id = d.company_id LEFT JOIN users u ON u.id = d.owner_id`;

export type DealRow = Omit<DealRecord, "tags"> & { tags: string };

export function toDealRecord(row: DealRow): DealRecord {
  return { ...row, tags: tagsFromColumn(row.tags) };
}

/** How deals are stored and read (see RecordTable). */
export const DEAL_TABLE: RecordTable<DealRecord, DealRow> = {
  type: "deal",
  name: "deals",
  from: "deals d",
  alias: "d",
  fts: "deals_fts",
  tagLinks: "deal_tags",
  tagColumn: "deal_id",
  columns: DEAL_COLUMNS,
  joins: DEAL_JOINS,
  toRecord: toDealRecord,
};

/** The API's JSON shape of a deal (see the OpenAPI document). */
export function dealJson(deal: DealRecord & { contactIds?: number[] }) {
  return {
    id: deal.id,
    title: deal.title,
    amountCents: deal.amountCents,
    currency: deal.currency,
    expectedCloseOn: deal.expectedCloseOn,
    pipelineId: deal.pipelineId,
    stageId: deal.stageId,
    status: deal.status,
    lostReason: deal.lostReason,
    closedAt: deal.closedAt === null ? null : new Date(deal.closedAt).toISOString(),
    companyId: deal.companyId,
    ownerId: deal.ownerId,
    contactIds: deal.contactIds ?? [],
    tags: deal.tags,
    externalId: deal.externalId,
    createdAt: new Date(deal.createdAt).toISOString(),
    updatedAt: new Date(deal.updatedAt).toISOString(),
  };
}
