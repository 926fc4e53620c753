import type { z } from "zod";
import { listSort, withCustomFilter } from "../custom-fields/custom-list.ts";
import { toFtsQuery } from "../lists/fts-query.ts";
import { defaultOrder, type SortSpec } from "../lists/keyset.ts";
import { countRows, keysetQuery } from "../lists/keyset-query.ts";
import type { ListPage } from "../lists/page.ts";
import { type Filter, recordFilter, recordListParams } from "../lists/record-filter.ts";
import type { Shard } from "../tenancy/shard.ts";
import {
  COMPANY_COLUMNS,
  COMPANY_JOINS,
  type CompanyRecord,
  type CompanyRow,
  toCompanyRecord,
} from "./company-record.ts";

/** The sorts a company list allows. Each has an index ending in id (see schema.ts). */
export const COMPANY_SORTS = {
  createdAt: { columns: ["co.created_at", "co.id"], keyOf: (r) => [r.createdAt as number, r.id as number] },
  updatedAt: { columns: ["co.updated_at", "co.id"], keyOf: (r) => [r.updatedAt as number, r.id as number] },
  name: { columns: ["co.name", "co.id"], keyOf: (r) => [r.name as string, r.id as number] },
} satisfies Record<string, SortSpec>;

export const companyListParams = recordListParams(COMPANY_SORTS);

export type CompanyListParams = z.output<typeof companyListParams>;

const TABLES = { alias: "co", fts: "companies_fts", tagLinks: "company_tags", tagColumn: "company_id" };

export function companyFilter(shard: Shard, params: CompanyListParams): Filter {
  return withCustomFilter(shard, "company", "co", recordFilter(TABLES, params), params.cf);
}

/** One page of companies, keyset-paginated. */
export function listCompanies(shard: Shard, params: CompanyListParams): ListPage<CompanyRecord> {
  const sort = params.sort ?? "createdAt";
  const { spec, select } = listSort(shard, "company", "co", COMPANY_SORTS, sort);
  const page = keysetQuery<CompanyRow>(shard, {
    select: `SELECT ${COMPANY_COLUMNS}${select} FROM companies co ${COMPANY_JOINS}`,
    filter: companyFilter(shard, params),
    spec,
    sort,
    order: params.order ?? defaultOrder(sort),
    cursor: params.cursor,
    limit: params.limit,
  });
  return { ...page, rows: page.rows.map(toCompanyRecord) };
}

export function countCompanies(shard: Shard, params: CompanyListParams): number {
  return countRows(shard, "companies co", companyFilter(shard, params));
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
