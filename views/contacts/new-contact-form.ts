import { companyNameField } from "../companies/company-name-field.ts";
import { type FormState, textField } from "../components/form-field.ts";
import { lengthHint } from "../components/length-hint.ts";
import { type Html, html } from "../html.ts";

/** The fields quick add shows above the contact list. */
export const NEW_CONTACT_FIELDS = ["firstName", "lastName", "email", "companyName"];

/** Quick add's inputs (the form around them is views/records/quick-add-form.ts). */
export function newContactInputs({
  form,
  base,
  nonce,
}: {
  form: FormState;
  base: string;
  nonce: string;
}): Html {
  const idPrefix = "new-contact";
  return html`${textField({ name: "firstName", label: "First name", form, idPrefix, required: true, autocomplete: "off", hint: lengthHint(100) })}
  ${textField({ name: "lastName", label: "Last name", form, idPrefix, autocomplete: "off", hint: lengthHint(100) })}
  ${textField({ name: "email", label: "Email", form, idPrefix, type: "email", maxlength: 254, autocomplete: "off" })}
  ${companyNameField({ form, idPrefix, base, nonce })}
  <datalist id="new-contact-companies"></datalist>`;
}
