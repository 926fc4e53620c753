import type { UserSummary } from "../../src/auth/users.ts";
import { companyNameField } from "../companies/company-name-field.ts";
import { type FormState, selectField, textField } from "../components/form-field.ts";
import { lengthHint } from "../components/length-hint.ts";
import { ownerOptions } from "../components/owner-options.ts";
import { type Html, html } from "../html.ts";

export const CONTACT_FORM_FIELDS = [
  "firstName",
  "lastName",
  "email",
  "phone",
  "title",
  "companyName",
  "ownerId",
  "tags",
];

/**
 * Every editable field of a contact. The company is typed by name (suggested as you type from
 * the workspace's companies) and created if it does not exist yet.
 */
export function contactFields(
  form: FormState,
  owners: UserSummary[],
  idPrefix: string,
  base: string,
  nonce: string,
): Html {
  return html`<div class="fields">
    ${textField({ name: "firstName", label: "First name", form, idPrefix, required: true, autocomplete: "off", hint: lengthHint(100) })}
    ${textField({ name: "lastName", label: "Last name", form, idPrefix, autocomplete: "off", hint: lengthHint(100) })}
    ${textField({ name: "email", label: "Email", form, idPrefix, type: "email", maxlength: 254, autocomplete: "off" })}
    ${textField({ name: "phone", label: "Phone", form, idPrefix, type: "tel", maxlength: 40, autocomplete: "off" })}
    ${textField({ name: "title", label: "Job title", form, idPrefix, maxlength: 100 })}
    ${companyNameField({ form, idPrefix, base, nonce })}
    <datalist id="${idPrefix}-companies"></datalist>
    ${selectField({ name: "ownerId", label: "Owner", form, idPrefix, options: ownerOptions(owners) })}
    ${textField({ name: "tags", label: "Tags (comma-separated)", form, idPrefix, maxlength: 500, placeholder: "vip, lead" })}
  </div>`;
}
