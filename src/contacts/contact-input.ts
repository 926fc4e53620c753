import { z } from "zod";
import { optionalEmail, optionalPhone, optionalRecordId, optionalText } from "../core/field-types.ts";
import { plainText } from "../core/validation.ts";
import { externalIdInput } from "../records/external-id.ts";
import { tagList } from "../tags/tag-input.ts";

const fields = {
  firstName: plainText(100).min(1, "is required"),
  lastName: plainText(100),
  email: optionalEmail,
  phone: optionalPhone,
  title: optionalText(100),
  companyId: optionalRecordId,
  ownerId: optionalRecordId,
  tags: tagList,
  externalId: externalIdInput,
};

/**
 * A new contact, as the API and the forms send it. Unknown keys (`id`, `tenant`, `role`,
 * timestamps) are dropped, so a client can never assign them.
 */
export const contactCreateInput = z.object({
  ...fields,
  lastName: fields.lastName.default(""),
  email: fields.email.optional(),
  phone: fields.phone.optional(),
  title: fields.title.optional(),
  companyId: fields.companyId.optional(),
  ownerId: fields.ownerId.optional(),
  tags: fields.tags.default([]),
  externalId: fields.externalId.optional(),
});

/** A change to a contact: only the keys present change. */
export const contactPatchInput = z.object(fields).partial();

export type ContactCreate = z.output<typeof contactCreateInput>;
export type ContactPatch = z.output<typeof contactPatchInput>;
