import type { z } from "zod";
import { listSort, withCustomFilter } from "../custom-fields/custom-list.ts";
import { defaultOrder, type SortSpec } from "../lists/keyset.ts";
import { countRows, keysetQuery } from "../lists/keyset-query.ts";
import { optionalParam, positiveId } from "../lists/list-params.ts";
import type { ListPage } from "../lists/page.ts";
import { type Filter, recordFilter, recordListParams } from "../lists/record-filter.ts";
import type { Shard } from "../tenancy/shard.ts";
import {
  CONTACT_COLUMNS,
  CONTACT_JOINS,
  type ContactRecord,
  type ContactRow,
  toContactRecord,
} from "./contact-record.ts";

/** The sorts a contact list allows. Each has an index ending in id (see schema.ts). */
export const CONTACT_SORTS = {
  createdAt: { columns: ["c.created_at", "c.id"], keyOf: (r) => [r.createdAt as number, r.id as number] },
  updatedAt: { columns: ["c.updated_at", "c.id"], keyOf: (r) => [r.updatedAt as number, r.id as number] },
  name: {
    columns: ["c.last_name", "c.first_name", "c.id"],
    keyOf: (r) => [r.lastName as string, r.firstName as string, r.id as number],
  },
} satisfies Record<string, SortSpec>;

/** What a contact list may be filtered and sorted by: the same for the pages and the API. */
export const contactListParams = recordListParams(CONTACT_SORTS).extend({
  companyId: optionalParam(positiveId),
});

export type ContactListParams = z.output<typeof contactListParams>;

const TABLES = { alias: "c", fts: "contacts_fts", tagLinks: "contact_tags", tagColumn: "contact_id" };

/** The shared filters, a search that also matches the contact's company name, and the company filter. */
export function contactFilter(shard: Shard, params: ContactListParams): Filter {
  const filter = recordFilter(TABLES, params, (fts) => ({
    conditions: ["c.company_id IN (SELECT rowid FROM companies_fts WHERE companies_fts MATCH ?)"],
    params: [fts],
  }));
  if (params.companyId) {
    filter.conditions.push("c.company_id = ?");
    filter.params.push(params.companyId);
  }
  return withCustomFilter(shard, "contact", "c", filter, params.cf);
}

/** One page of contacts, keyset-paginated. */
export function listContacts(shard: Shard, params: ContactListParams): ListPage<ContactRecord> {
  const sort = params.sort ?? "createdAt";
  const { spec, select } = listSort(shard, "contact", "c", CONTACT_SORTS, sort);
  const page = keysetQuery<ContactRow>(shard, {
    select: `SELECT ${CONTACT_COLUMNS}${select} FROM contacts c ${CONTACT_JOINS}`,
    filter: contactFilter(shard, params),
    spec,
    sort,
    order: params.order ?? defaultOrder(sort),
    cursor: params.cursor,
    limit: params.limit,
  });
  return { ...page, rows: page.rows.map(toContactRecord) };
}

/** How many contacts match the filters. It can read every row, so callers cache it (lists/count-cache.ts). */
export function countContacts(shard: Shard, params: ContactListParams): number {
  return countRows(shard, "contacts c", contactFilter(shard, params));
}
