import type { ContactRecord } from "../../src/contacts/contact-record.ts";
import { RECORD_SORT_OPTIONS } from "../components/list-filters.ts";
import type { RecordView } from "../records/record-view.ts";
import { CONTACT_FORM_FIELDS, contactFields } from "./contact-fields.ts";
import { contactRow } from "./contact-row.raw.ts";
import { NEW_CONTACT_FIELDS, newContactInputs } from "./new-contact-form.ts";

/** How contacts look in lists, forms and merges (src/contacts/contact-kind.ts is the rest of their definition). */
export const CONTACT_VIEW: RecordView<ContactRecord, undefined> = {
  type: "contact",
  path: "contacts",
  nameHeader: "Name",
  columns: [
    { key: "email", label: "Email" },
    { key: "phone", label: "Phone" },
    { key: "title", label: "Title" },
    { key: "company", label: "Company" },
    { key: "tags", label: "Tags" },
    { key: "owner", label: "Owner" },
    { key: "createdAt", label: "Created" },
  ],
  row: contactRow,
  list: { searchPlaceholder: "Name, email or company", sorts: RECORD_SORT_OPTIONS },
  formFields: CONTACT_FORM_FIELDS,
  fields: (p) => contactFields(p.form, p.owners, p.idPrefix, p.base, p.nonce),
  quickAdd: {
    label: "Add a contact",
    button: "Add contact",
    fields: NEW_CONTACT_FIELDS,
    inputs: newContactInputs,
  },
  inlineEdit: { idPrefix: (id) => `edit-${id}` },
  mergeShown: {
    firstName: ["First name", (c) => c.firstName],
    lastName: ["Last name", (c) => c.lastName],
    email: ["Email", (c) => c.email],
    phone: ["Phone", (c) => c.phone],
    title: ["Title", (c) => c.title],
    companyId: ["Company", (c) => c.companyName],
    ownerId: ["Owner", (c) => c.ownerName],
  },
};
