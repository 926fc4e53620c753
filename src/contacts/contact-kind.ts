import { companyFromForm } from "../companies/find-or-create-company.ts";
import type { MergeableKind } from "../records/record-kind.ts";
import { contactEngagement, engagementJson } from "./contact-engagement.ts";
import { type ContactForm, contactFormValues, parseContactForm } from "./contact-form.ts";
import type { ContactCreate, ContactPatch } from "./contact-input.ts";
import { contactCreateInput, contactPatchInput } from "./contact-input.ts";
import { CONTACT_TABLE, type ContactRecord, contactJson, contactName } from "./contact-record.ts";
import { createContact } from "./create-contact.ts";
import { deleteContact } from "./delete-contact.ts";
import { findDuplicateContact } from "./find-duplicate-contact.ts";
import { getContact } from "./get-contact.ts";
import {
  CONTACT_FILTERS,
  type ContactListParams,
  contactFilter,
  contactListParams,
  countContacts,
  listContacts,
} from "./list-contacts.ts";
import { updateContact } from "./update-contact.ts";

/** The built-in fields a person chooses between when merging two contacts (tags are always combined). */
export const CONTACT_MERGE_FIELDS = [
  "firstName",
  "lastName",
  "email",
  "phone",
  "title",
  "companyId",
  "ownerId",
] as const;

/** Contacts, for everything that treats records alike (see RecordKind). Their company is typed by name on forms. */
export const CONTACT_KIND: MergeableKind<
  ContactRecord,
  ContactListParams,
  ContactCreate,
  ContactPatch,
  ContactForm,
  undefined
> = {
  type: "contact",
  path: "contacts",
  name: contactName,
  get: getContact,
  listParams: contactListParams,
  list: listContacts,
  count: countContacts,
  filters: CONTACT_FILTERS,
  table: CONTACT_TABLE,
  filter: contactFilter,
  create: createContact,
  update: updateContact,
  remove: deleteContact,
  form: {
    parse: (_shard, fields, viewerId) => parseContactForm(fields, viewerId),
    // The company typed by name is created in the contact's transaction: a refused contact leaves none behind.
    create: (shard, actor, form, customFields) =>
      shard.transaction(() =>
        createContact(shard, actor, {
          ...form.input,
          companyId: companyFromForm(shard, actor, form),
          customFields,
        }),
      ),
    update: (shard, actor, current, form, customFields) =>
      shard.transaction(() =>
        updateContact(shard, actor, current.id, {
          ...form.input,
          companyId: companyFromForm(shard, actor, form),
          customFields,
        }),
      ),
    values: contactFormValues,
    initial: (_shard, viewerId) => ({ ownerId: String(viewerId) }),
    extra: () => undefined,
    // An edit warns only when it changes the email: a pair that already shared one is merged, not nagged.
    duplicate: (shard, form, current) =>
      current && current.email === (form.input.email ?? null)
        ? null
        : findDuplicateContact(shard, form.input.email, current?.id ?? null),
  },
  api: {
    createInput: contactCreateInput,
    patchInput: contactPatchInput,
    json: contactJson,
    alone: (shard, contact) => ({ engagement: engagementJson(contactEngagement(shard, contact.id)) }),
  },
  merge: {
    fields: CONTACT_MERGE_FIELDS,
    detail: (c) => [c.email, c.companyName].filter(Boolean).join(" · ") || null,
  },
};
