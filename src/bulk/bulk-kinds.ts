import type { z } from "zod";
import { deleteCompany } from "../companies/delete-company.ts";
import { getCompany } from "../companies/get-company.ts";
import { companyFilter, companyListParams } from "../companies/list-companies.ts";
import { updateCompany } from "../companies/update-company.ts";
import { deleteContact } from "../contacts/delete-contact.ts";
import { getContact } from "../contacts/get-contact.ts";
import { contactFilter, contactListParams } from "../contacts/list-contacts.ts";
import { updateContact } from "../contacts/update-contact.ts";
import { deleteDeal } from "../deals/delete-deal.ts";
import { getDeal } from "../deals/get-deal.ts";
import { dealFilter, dealListParams } from "../deals/list-deals.ts";
import { moveDeal } from "../deals/move-deal.ts";
import { updateDeal } from "../deals/update-deal.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Filter } from "../lists/record-filter.ts";
import type { Shard } from "../tenancy/shard.ts";

/** The parts of a record a bulk change reads. */
export interface BulkRecord {
  ownerId: number | null;
  tags: string[];
  stageId?: number;
}

/** How bulk changes reach one kind of record: through its own services, so each change is validated and logged as usual. */
export interface BulkKind {
  /** `contacts c`: the table and alias the list filter is written for. */
  from: string;
  alias: string;
  singular: string;
  plural: string;
  listParams: z.ZodObject;
  filter(shard: Shard, params: Record<string, unknown>): Filter;
  get(shard: Shard, id: number): BulkRecord;
  update(shard: Shard, actor: Actor, id: number, patch: { ownerId?: number | null; tags?: string[] }): void;
  remove(shard: Shard, actor: Actor, id: number): void;
  move?(shard: Shard, actor: Actor, id: number, stageId: number): void;
}

export const BULK_KINDS = {
  contacts: {
    from: "contacts c",
    alias: "c",
    singular: "contact",
    plural: "contacts",
    listParams: contactListParams,
    filter: (shard, params) => contactFilter(shard, params as z.output<typeof contactListParams>),
    get: getContact,
    update: updateContact,
    remove: deleteContact,
  },
  companies: {
    from: "companies co",
    alias: "co",
    singular: "company",
    plural: "companies",
    listParams: companyListParams,
    filter: (shard, params) => companyFilter(shard, params as z.output<typeof companyListParams>),
    get: getCompany,
    update: updateCompany,
    remove: deleteCompany,
  },
  deals: {
    from: "deals d",
    alias: "d",
    singular: "deal",
    plural: "deals",
    listParams: dealListParams,
    filter: (shard, params) => dealFilter(shard, params as z.output<typeof dealListParams>),
    get: getDeal,
    update: updateDeal,
    remove: deleteDeal,
    move: (shard, actor, id, stageId) => {
      moveDeal(shard, actor, id, stageId);
    },
  },
} satisfies Record<string, BulkKind>;

export type BulkKindName = keyof typeof BULK_KINDS;
