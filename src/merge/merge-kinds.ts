import type { z } from "zod";
import { COMPANY_KIND } from "../companies/company-kind.ts";
import type { CompanyRecord } from "../companies/company-record.ts";
import { oneContactJson } from "../contacts/contact-json.ts";
import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import type { ContactRecord } from "../contacts/contact-record.ts";
import type { Actor } from "../identity/viewer.ts";
import { recordsJson } from "../records/record-json.ts";
import type { KindRecord, RecordKind, RecordMerge } from "../records/record-kind.ts";
import type { Shard } from "../tenancy/shard.ts";
import { type LinkedCounts, linkedCounts } from "./linked-counts.ts";
import { mergeCompanies } from "./merge-companies.ts";
import { mergeContacts } from "./merge-contacts.ts";
import {
  companyMergeRequest,
  contactMergeRequest,
  type MergeInput,
  type MergeRequest,
} from "./merge-input.ts";

/**
 * A kind whose duplicates can be merged: its definition (with its `merge` part: the fields a
 * person chooses between, what tells candidates apart) and what merging does to it, which
 * only it knows (what links to a contact or a company, and so must move).
 */
export interface MergeKind<R extends KindRecord> {
  kind: RecordKind<R> & { merge: RecordMerge<R> };
  /** The API's request (the record in the URL is the survivor), built from the kind's merge fields. */
  request: z.ZodType<MergeRequest>;
  /** Folds the duplicate into the survivor, all or nothing. */
  merge(shard: Shard, actor: Actor, input: MergeInput): R;
  /** What would move from a record to the survivor, for the comparison page. */
  moved(shard: Shard, id: number): LinkedCounts;
  /** The survivor as the API answers it: the same shape as GET of one record. */
  json(shard: Shard, record: R): object;
}

/** The kinds that can be merged, by their plural; a mergeable kind adds its line here. */
export const MERGE_KINDS: { contacts: MergeKind<ContactRecord>; companies: MergeKind<CompanyRecord> } = {
  contacts: {
    kind: CONTACT_KIND,
    request: contactMergeRequest,
    merge: mergeContacts,
    moved: (shard, id) => linkedCounts(shard, "contact", id),
    json: oneContactJson,
  },
  companies: {
    kind: COMPANY_KIND,
    request: companyMergeRequest,
    merge: mergeCompanies,
    moved: (shard, id) => linkedCounts(shard, "company", id),
    json: (shard, record) => recordsJson(shard, COMPANY_KIND, [record])[0] as object,
  },
};
