import type { CompanyRecord } from "../../src/companies/company-record.ts";
import { RECORD_SORT_OPTIONS } from "../components/list-filters.ts";
import type { RecordView } from "../records/record-view.ts";
import { COMPANY_FORM_FIELDS, companyFields } from "./company-fields.ts";
import { companyRow } from "./company-row.raw.ts";
import { NEW_COMPANY_FIELDS, newCompanyInputs } from "./new-company-form.ts";

/** How companies look in lists, forms and merges (src/companies/company-kind.ts is the rest of their definition). */
export const COMPANY_VIEW: RecordView<CompanyRecord, undefined> = {
  type: "company",
  path: "companies",
  nameHeader: "Name",
  columns: [
    { key: "website", label: "Website" },
    { key: "phone", label: "Phone" },
    { key: "city", label: "City" },
    { key: "country", label: "Country" },
    { key: "contacts", label: "Contacts", numeric: true },
    { key: "tags", label: "Tags" },
    { key: "owner", label: "Owner" },
    { key: "createdAt", label: "Created" },
  ],
  row: companyRow,
  list: { searchPlaceholder: "Name, domain, city or country", sorts: RECORD_SORT_OPTIONS },
  formFields: COMPANY_FORM_FIELDS,
  fields: (p) => companyFields(p.form, p.owners, p.idPrefix),
  quickAdd: {
    label: "Add a company",
    button: "Add company",
    fields: NEW_COMPANY_FIELDS,
    inputs: newCompanyInputs,
  },
  inlineEdit: { idPrefix: (id) => `edit-company-${id}` },
  mergeShown: {
    name: ["Name", (co) => co.name],
    domain: ["Website", (co) => co.domain],
    phone: ["Phone", (co) => co.phone],
    city: ["City", (co) => co.city],
    country: ["Country", (co) => co.country],
    ownerId: ["Owner", (co) => co.ownerName],
  },
};
