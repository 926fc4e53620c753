import { z } from "zod";
import { toFtsQuery } from "../lists/fts-query.ts";
import type { SortSpec } from "../lists/keyset.ts";
import { optionalParam } from "../lists/list-params.ts";
import type { ListPage } from "../lists/page.ts";
import { type Filter, recordListParams } from "../lists/record-filter.ts";
import { exactFilter, externalIdParam } from "../records/external-id.ts";
import { countRecords, listRecords, tableFilter } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { COMPANY_TABLE, type CompanyRecord } from "./company-record.ts";

/** The sorts a company list allows. Each has an index ending in id (see schema.ts). */
export const COMPANY_SORTS = {
  createdAt: { columns: ["co.created_at", "co.id"], keyOf: (r) => [r.createdAt as number, r.id as number] },
  updatedAt: { columns: ["co.updated_at", "co.id"], keyOf: (r) => [r.updatedAt as number, r.id as number] },
  name: { columns: ["co.name", "co.id"], keyOf: (r) => [r.name as string, r.id as number] },
} satisfies Record<string, SortSpec>;

/** `domain=`: exact, normalised as every write stores it (domainName), so companies_domain_idx answers it. */
const exactDomain = z
  .string()
  .max(253, "must be at most 253 characters")
  .transform((v) => v.trim().toLowerCase());

export const companyListParams = recordListParams(COMPANY_SORTS).extend({
  domain: optionalParam(exactDomain),
  externalId: optionalParam(externalIdParam),
});

/** The companies' filters beyond the shared ones (see RecordKind.filters). */
export const COMPANY_FILTERS = ["domain", "externalId"] as const;

export type CompanyListParams = z.output<typeof companyListParams>;

export function companyFilter(shard: Shard, params: CompanyListParams): Filter {
  return tableFilter(
    shard,
    COMPANY_TABLE,
    params,
    exactFilter("co", { domain: "domain", externalId: "external_id" }, params),
  );
}

/** One page of companies, keyset-paginated. */
export function listCompanies(shard: Shard, params: CompanyListParams): ListPage<CompanyRecord> {
  return listRecords(shard, COMPANY_TABLE, COMPANY_SORTS, companyFilter(shard, params), params);
}

export function countCompanies(shard: Shard, params: CompanyListParams, upTo?: number): number {
  return countRecords(shard, COMPANY_TABLE, companyFilter(shard, params), upTo);
}

/** Company names matching what was typed (its first 200 characters), for the company field's suggestions. */
export function companyNamesLike(shard: Shard, typed: string): string[] {
  const fts = toFtsQuery(typed.slice(0, 200));
  return fts ? suggestCompanies(shard, fts) : [];
}

/** Company names starting with what was typed, for the company field's suggestions. */
export function suggestCompanies(shard: Shard, fts: string, limit = 10): string[] {
  const rows = shard
    .statement(
      "SELECT co.name FROM companies_fts JOIN companies co ON co.id = companies_fts.rowid WHERE companies_fts MATCH ? ORDER BY rank LIMIT ?",
    )
    .all(fts, limit) as { name: string }[];
  return [...new Set(rows.map((r) => r.name))];
}

/**
 * A list's search that also matches its records' company names (contacts, deals): `alias` is
 * the list's table alias, whose `company_id` is checked.
 */
export function companyNameSearch(alias: string): (fts: string) => Filter {
  return (fts) => ({
    conditions: [`${alias}.company_id IN (SELECT rowid FROM companies_fts WHERE companies_fts MATCH ?)`],
    params: [fts],
  });
}
