import { z } from "zod";
import { nullable, optionalPhone, optionalRecordId, optionalText } from "../core/field-types.ts";
import { plainText } from "../core/validation.ts";
import { externalIdInput } from "../records/external-id.ts";
import { tagList } from "../tags/tag-input.ts";

const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** A bare hostname (`acme.com`); a pasted URL is reduced to its host. Never a scheme, so it can only ever link to https. */
export const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) =>
    v
      .replace(/^https?:\/\//, "")
      .replace(/[/?#].*$/, "")
      .replace(/^www\./, ""),
  )
  .pipe(z.string().regex(HOSTNAME, "must be a domain name like acme.com"));

/** The company a contact's or deal's form names by typing (empty: none); found or created by that name. */
export const typedCompanyName = plainText(200);

const fields = {
  name: plainText(200).min(1, "is required"),
  domain: nullable(domainName),
  phone: optionalPhone,
  city: optionalText(100),
  country: optionalText(100),
  ownerId: optionalRecordId,
  tags: tagList,
  externalId: externalIdInput,
};

/** A new company. Unknown keys (`id`, `tenant`, `role`, timestamps) are dropped. */
export const companyCreateInput = z.object({
  ...fields,
  domain: fields.domain.optional(),
  phone: fields.phone.optional(),
  city: fields.city.optional(),
  country: fields.country.optional(),
  ownerId: fields.ownerId.optional(),
  tags: fields.tags.default([]),
  externalId: fields.externalId.optional(),
});

export const companyPatchInput = z.object(fields).partial();

export type CompanyCreate = z.output<typeof companyCreateInput>;
export type CompanyPatch = z.output<typeof companyPatchInput>;
