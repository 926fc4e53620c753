import { z } from "zod";
import { companyNameSearch } from "../companies/list-companies.ts";
import type { SortSpec } from "../lists/keyset.ts";
import { optionalParam, positiveId } from "../lists/list-params.ts";
import type { ListPage } from "../lists/page.ts";
import { type Filter, recordListParams } from "../lists/record-filter.ts";
import { exactFilter, externalIdParam } from "../records/external-id.ts";
import { countRecords, listRecords, tableFilter } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { CONTACT_TABLE, type ContactRecord } from "./contact-record.ts";

/** The sorts a contact list allows. Each has an index ending in id (see schema.ts). */
export const CONTACT_SORTS = {
  createdAt: { columns: ["c.created_at", "c.id"], keyOf: (r) => [r.createdAt as number, r.id as number] },
  updatedAt: { columns: ["c.updated_at", "c.id"], keyOf: (r) => [r.updatedAt as number, r.id as number] },
  name: {
    columns: ["c.last_name", "c.first_name", "c.id"],
    keyOf: (r) => [r.lastName as string, r.firstName as string, r.id as number],
  },
} satisfies Record<string, SortSpec>;

/**
 * `email=`: an exact, case-insensitive match. Every write stores an email trimmed and
 * lower-cased (emailAddress), so the value normalised the same way is compared with `=` and
 * contacts_email_idx answers it with one seek (no prefix, no full-text match).
 */
const exactEmail = z
  .string()
  .max(254, "must be at most 254 characters")
  .transform((v) => v.trim().toLowerCase());

/** What a contact list may be filtered and sorted by: the same for the pages and the API. */
export const contactListParams = recordListParams(CONTACT_SORTS).extend({
  companyId: optionalParam(positiveId),
  email: optionalParam(exactEmail),
  externalId: optionalParam(externalIdParam),
});

/** The contacts' filters beyond the shared ones (see RecordKind.filters). */
export const CONTACT_FILTERS = ["email", "externalId"] as const;

export type ContactListParams = z.output<typeof contactListParams>;

/** The shared filters, a search that also matches the contact's company name, and the company filter. */
export function contactFilter(shard: Shard, params: ContactListParams): Filter {
  const company = exactFilter(
    "c",
    { companyId: "company_id", email: "email", externalId: "external_id" },
    params,
  );
  return tableFilter(shard, CONTACT_TABLE, params, company, companyNameSearch("c"));
}

/** One page of contacts, keyset-paginated. */
export function listContacts(shard: Shard, params: ContactListParams): ListPage<ContactRecord> {
  return listRecords(shard, CONTACT_TABLE, CONTACT_SORTS, contactFilter(shard, params), params);
}

/** How many contacts match the filters, at most `upTo` (unbounded, it reads every row: the pool's). */
export function countContacts(shard: Shard, params: ContactListParams, upTo?: number): number {
  return countRecords(shard, CONTACT_TABLE, contactFilter(shard, params), upTo);
}
