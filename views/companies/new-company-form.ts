import { type FormState, textField } from "../components/form-field.ts";
import { lengthHint } from "../components/length-hint.ts";
import { type Html, html } from "../html.ts";

/** The fields quick add shows above the company list. */
export const NEW_COMPANY_FIELDS = ["name", "domain", "city", "country"];

/** Quick add's inputs (the form around them is views/records/quick-add-form.ts). */
export function newCompanyInputs({ form }: { form: FormState }): Html {
  const idPrefix = "new-company";
  return html`${textField({ name: "name", label: "Name", form, idPrefix, required: true, autocomplete: "off", hint: lengthHint(200) })}
  ${textField({ name: "domain", label: "Website domain", form, idPrefix, maxlength: 253, placeholder: "acme.com", autocomplete: "off" })}
  ${textField({ name: "city", label: "City", form, idPrefix, maxlength: 100 })}
  ${textField({ name: "country", label: "Country", form, idPrefix, maxlength: 100 })}`;
}
