import type { UserSummary } from "../../src/auth/users.ts";
import { type FormState, selectField, textField } from "../components/form-field.ts";
import { lengthHint } from "../components/length-hint.ts";
import { ownerOptions } from "../components/owner-options.ts";
import { type Html, html } from "../html.ts";

export const COMPANY_FORM_FIELDS = ["name", "domain", "phone", "city", "country", "ownerId", "tags"];

/** Every editable field of a company. */
export function companyFields(form: FormState, owners: UserSummary[], idPrefix: string): Html {
  return html`<div class="fields">
    ${textField({ name: "name", label: "Name", form, idPrefix, required: true, autocomplete: "off", hint: lengthHint(200) })}
    ${textField({ name: "domain", label: "Website domain", form, idPrefix, maxlength: 253, placeholder: "acme.com", autocomplete: "off" })}
    ${textField({ name: "phone", label: "Phone", form, idPrefix, type: "tel", maxlength: 40, autocomplete: "off" })}
    ${textField({ name: "city", label: "City", form, idPrefix, maxlength: 100 })}
    ${textField({ name: "country", label: "Country", form, idPrefix, maxlength: 100 })}
    ${selectField({ name: "ownerId", label: "Owner", form, idPrefix, options: ownerOptions(owners) })}
    ${textField({ name: "tags", label: "Tags (comma-separated)", form, idPrefix, maxlength: 500, placeholder: "customer, partner" })}
  </div>`;
}
