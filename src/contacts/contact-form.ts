import { typedCompanyName } from "../companies/company-input.ts";
import { ValidationError } from "../core/errors.ts";
import { fieldIssues } from "../core/validation.ts";
import { ownerAndTags } from "../records/form-input.ts";
import { type ContactCreate, contactCreateInput } from "./contact-input.ts";
import type { ContactRecord } from "./contact-record.ts";

/** A parsed contact form: the contact fields, plus the company typed by name. */
export interface ContactForm {
  input: Omit<ContactCreate, "companyId">;
  companyName: string;
}

/**
 * Reads a submitted contact form, or throws a ValidationError naming each bad field. A form
 * without an owner field (quick add) gives the contact to `defaultOwnerId`.
 */
export function parseContactForm(fields: Record<string, string>, defaultOwnerId: number | null): ContactForm {
  const result = contactCreateInput.omit({ companyId: true }).safeParse({
    firstName: fields.firstName ?? "",
    lastName: fields.lastName ?? "",
    email: fields.email ?? "",
    phone: fields.phone ?? "",
    title: fields.title ?? "",
    ...ownerAndTags(fields, defaultOwnerId),
  });
  const company = typedCompanyName.safeParse(fields.companyName ?? "");
  const issues = [
    ...(result.success ? [] : fieldIssues(result.error)),
    ...(company.success
      ? []
      : [{ field: "companyName", message: company.error.issues[0]?.message ?? "invalid" }]),
  ];
  if (!result.success || !company.success) throw new ValidationError(issues);
  return { input: result.data, companyName: company.data };
}

/** A stored contact as form values, for the edit form. */
export function contactFormValues(c: ContactRecord): Record<string, string> {
  return {
    firstName: c.firstName,
    lastName: c.lastName,
    email: c.email ?? "",
    phone: c.phone ?? "",
    title: c.title ?? "",
    companyName: c.companyName ?? "",
    ownerId: c.ownerId ? String(c.ownerId) : "",
    tags: c.tags.join(", "),
  };
}
