import type { RecordTable } from "../records/record-table.ts";
import { tagsFromColumn } from "../tags/tag-input.ts";

/** A company as services return it: the row plus what lists and pages show beside it. */
export interface CompanyRecord {
  id: number;
  name: string;
  domain: string | null;
  phone: string | null;
  city: string | null;
  country: string | null;
  ownerId: number | null;
  ownerName: string | null;
  contactCount: number;
  tags: string[];
  externalId: string | null;
  createdAt: number;
  updatedAt: number;
}

export const COMPANY_COLUMNS = `co.id, co.name, co.domain, co.phone, co.city, co.country,
  co.owner_id AS ownerId, u.name AS ownerName, co.created_at AS createdAt, co.updated_at AS updatedAt,
  (SELECT count(*) FROM contacts x WHERE x.company_id = co.id) AS contactCount, co.tags,
  co.external_id AS externalId`;

export const COMPANY_JOINS = "LEFT JOIN users u ON u.id = co.owner_id";

export type CompanyRow = Omit<CompanyRecord, "tags"> & { tags: string };

export function toCompanyRecord(row: CompanyRow): CompanyRecord {
  return { ...row, tags: tagsFromColumn(row.tags) };
}

/** How companies are stored and read (see RecordTable). */
export const COMPANY_TABLE: RecordTable<CompanyRecord, CompanyRow> = {
  type: "company",
  name: "companies",
  from: "companies co",
  alias: "co",
  fts: "companies_fts",
  tagLinks: "company_tags",
  tagColumn: "company_id",
  columns: COMPANY_COLUMNS,
  joins: COMPANY_JOINS,
  toRecord: toCompanyRecord,
};

/** The API's JSON shape of a company (see the OpenAPI document). */
export function companyJson(company: CompanyRecord) {
  return {
    id: company.id,
    name: company.name,
    domain: company.domain,
    phone: company.phone,
    city: company.city,
    country: company.country,
    ownerId: company.ownerId,
    tags: company.tags,
    externalId: company.externalId,
    createdAt: new Date(company.createdAt).toISOString(),
    updatedAt: new Date(company.updatedAt).toISOString(),
  };
}
