import type { z } from "zod";
import { companyMergeRows, contactMergeRows, type MergeRow } from "../../views/merge/merge-rows.ts";
import type { CompanyRecord } from "../companies/company-record.ts";
import { getCompany } from "../companies/get-company.ts";
import { listCompanies } from "../companies/list-companies.ts";
import { type ContactRecord, contactName } from "../contacts/contact-record.ts";
import { getContact } from "../contacts/get-contact.ts";
import { listContacts } from "../contacts/list-contacts.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { mergeCompanies } from "./merge-companies.ts";
import { mergeContacts } from "./merge-contacts.ts";
import { companyMergeRequest, contactMergeRequest, type MergeInput } from "./merge-input.ts";

/** What the merge pages need to know about one kind of record. */
export interface MergeKind<R extends { id: number; tags: string[] }> {
  entity: "contact" | "company";
  /** The URL segment and nav entry: "contacts" or "companies". */
  path: "contacts" | "companies";
  nouns: string;
  request: z.ZodType<Omit<MergeInput, "survivorId">>;
  get(shard: Shard, id: number): R;
  name(record: R): string;
  detail(record: R): string | null;
  /** Records matching a typed search, for picking the duplicate. */
  search(shard: Shard, q: string): R[];
  rows(survivor: R, duplicate: R): MergeRow[];
  merge(shard: Shard, actor: Actor, input: MergeInput): R;
}

const CANDIDATES = 20;

export const CONTACT_MERGE: MergeKind<ContactRecord> = {
  entity: "contact",
  path: "contacts",
  nouns: "contacts",
  request: contactMergeRequest,
  get: getContact,
  name: contactName,
  detail: (c) => [c.email, c.companyName].filter(Boolean).join(" · ") || null,
  search: (shard, q) => listContacts(shard, { q, limit: CANDIDATES }).rows,
  rows: contactMergeRows,
  merge: mergeContacts,
};

export const COMPANY_MERGE: MergeKind<CompanyRecord> = {
  entity: "company",
  path: "companies",
  nouns: "companies",
  request: companyMergeRequest,
  get: getCompany,
  name: (co) => co.name,
  detail: (co) => [co.domain, co.city].filter(Boolean).join(" · ") || null,
  search: (shard, q) => listCompanies(shard, { q, limit: CANDIDATES }).rows,
  rows: companyMergeRows,
  merge: mergeCompanies,
};
