import type { CompanyRecord } from "../../src/companies/company-record.ts";
import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import type { FieldDefinition } from "../../src/custom-fields/field-definitions.ts";
import type { CustomValues } from "../../src/custom-fields/field-values.ts";
import {
  COMPANY_MERGE_FIELDS,
  CONTACT_MERGE_FIELDS,
  CUSTOM_CHOICE_PREFIX,
} from "../../src/merge/merge-input.ts";
import { customValueHtml } from "../custom-fields/custom-value.raw.ts";
import { type HtmlValue, trustedHtml } from "../html.ts";

/** One line of a merge's comparison: a field and what each record holds in it. */
export interface MergeRow {
  /** The choice's form name is `keep.<key>`: a built-in field, or `customFields.<field key>`. */
  key: string;
  label: string;
  survivor: HtmlValue;
  duplicate: HtmlValue;
}

type Shown<R, K extends string> = Record<K, [label: string, value: (record: R) => string | null]>;

/** How a kind's built-in merge fields show: a label and the record's value (text), by field. */
export type MergeShown<R> = Record<string, [label: string, value: (record: R) => string | null]>;

const CONTACT_SHOWN: Shown<ContactRecord, (typeof CONTACT_MERGE_FIELDS)[number]> = {
  firstName: ["First name", (c) => c.firstName],
  lastName: ["Last name", (c) => c.lastName],
  email: ["Email", (c) => c.email],
  phone: ["Phone", (c) => c.phone],
  title: ["Title", (c) => c.title],
  companyId: ["Company", (c) => c.companyName],
  ownerId: ["Owner", (c) => c.ownerName],
};

const COMPANY_SHOWN: Shown<CompanyRecord, (typeof COMPANY_MERGE_FIELDS)[number]> = {
  name: ["Name", (co) => co.name],
  domain: ["Website", (co) => co.domain],
  phone: ["Phone", (co) => co.phone],
  city: ["City", (co) => co.city],
  country: ["Country", (co) => co.country],
  ownerId: ["Owner", (co) => co.ownerName],
};

function rows<R, K extends string>(fields: readonly K[], shown: Shown<R, K>, s: R, d: R): MergeRow[] {
  return fields.map((key) => {
    const [label, value] = shown[key];
    return { key, label, survivor: value(s), duplicate: value(d) };
  });
}

export const contactMergeRows = (s: ContactRecord, d: ContactRecord) =>
  rows(CONTACT_MERGE_FIELDS, CONTACT_SHOWN, s, d);

export const companyMergeRows = (s: CompanyRecord, d: CompanyRecord) =>
  rows(COMPANY_MERGE_FIELDS, COMPANY_SHOWN, s, d);

/** A line per custom field of the kind (customValueHtml escapes what it returns). */
export function customMergeRows(fields: FieldDefinition[], s: CustomValues, d: CustomValues): MergeRow[] {
  return fields.map((f) => ({
    key: `${CUSTOM_CHOICE_PREFIX}${f.key}`,
    label: f.label,
    survivor: trustedHtml(customValueHtml(f, s[f.key])),
    duplicate: trustedHtml(customValueHtml(f, d[f.key])),
  }));
}
