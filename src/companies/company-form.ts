import { ValidationError } from "../core/errors.ts";
import { fieldIssues } from "../core/validation.ts";
import { ownerAndTags } from "../records/form-input.ts";
import { type CompanyCreate, companyCreateInput } from "./company-input.ts";
import type { CompanyRecord } from "./company-record.ts";

/**
 * Reads a submitted company form, or throws a ValidationError naming each bad field. A form
 * without an owner field (quick add) gives the company to `defaultOwnerId`.
 */
export function parseCompanyForm(
  fields: Record<string, string>,
  defaultOwnerId: number | null,
): CompanyCreate {
  const result = companyCreateInput.safeParse({
    name: fields.name ?? "",
    domain: fields.domain ?? "",
    phone: fields.phone ?? "",
    city: fields.city ?? "",
    country: fields.country ?? "",
    ...ownerAndTags(fields, defaultOwnerId),
  });
  if (!result.success) throw new ValidationError(fieldIssues(result.error));
  return result.data;
}

/** A stored company as form values, for the edit form. */
export function companyFormValues(co: CompanyRecord): Record<string, string> {
  return {
    name: co.name,
    domain: co.domain ?? "",
    phone: co.phone ?? "",
    city: co.city ?? "",
    country: co.country ?? "",
    ownerId: co.ownerId ? String(co.ownerId) : "",
    tags: co.tags.join(", "),
  };
}
