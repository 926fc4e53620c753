import type { MergeableKind } from "../records/record-kind.ts";
import { companyFormValues, parseCompanyForm } from "./company-form.ts";
import {
  type CompanyCreate,
  type CompanyPatch,
  companyCreateInput,
  companyPatchInput,
} from "./company-input.ts";
import { COMPANY_TABLE, type CompanyRecord, companyJson } from "./company-record.ts";
import { createCompany } from "./create-company.ts";
import { deleteCompany } from "./delete-company.ts";
import { findDuplicateCompany } from "./find-duplicate-company.ts";
import { getCompany } from "./get-company.ts";
import {
  COMPANY_FILTERS,
  type CompanyListParams,
  companyFilter,
  companyListParams,
  countCompanies,
  listCompanies,
} from "./list-companies.ts";
import { updateCompany } from "./update-company.ts";

/** The built-in fields a person chooses between when merging two companies (tags are always combined). */
export const COMPANY_MERGE_FIELDS = ["name", "domain", "phone", "city", "country", "ownerId"] as const;

/** Companies, for everything that treats records alike (see RecordKind). */
export const COMPANY_KIND: MergeableKind<
  CompanyRecord,
  CompanyListParams,
  CompanyCreate,
  CompanyPatch,
  CompanyCreate,
  undefined
> = {
  type: "company",
  path: "companies",
  name: (co) => co.name,
  get: getCompany,
  listParams: companyListParams,
  list: listCompanies,
  count: countCompanies,
  filters: COMPANY_FILTERS,
  table: COMPANY_TABLE,
  filter: companyFilter,
  create: createCompany,
  update: updateCompany,
  remove: deleteCompany,
  form: {
    parse: (_shard, fields, viewerId) => parseCompanyForm(fields, viewerId),
    create: (shard, actor, form, customFields) => createCompany(shard, actor, { ...form, customFields }),
    update: (shard, actor, current, form, customFields) =>
      updateCompany(shard, actor, current.id, { ...form, customFields }),
    values: companyFormValues,
    initial: (_shard, viewerId) => ({ ownerId: String(viewerId) }),
    extra: () => undefined,
    // An edit warns only when it changes the domain, as for a contact's email.
    duplicate: (shard, form, current) =>
      current && current.domain === (form.domain ?? null)
        ? null
        : findDuplicateCompany(shard, form.domain, current?.id ?? null),
  },
  api: { createInput: companyCreateInput, patchInput: companyPatchInput, json: companyJson },
  merge: {
    fields: COMPANY_MERGE_FIELDS,
    detail: (co) => [co.domain, co.city].filter(Boolean).join(" · ") || null,
  },
};
