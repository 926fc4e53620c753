import { csrfField, type FormState, formErrors, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

export const NEW_COMPANY_FIELDS = ["name", "domain", "city", "country"];

/** Quick add above the list: the created row is prepended and the form comes back empty (or with its errors). */
export function newCompanyForm(base: string, form: FormState, csrfToken: string, nonce: string): Html {
  const idPrefix = "new-company";
  return html`<form id="new-company" class="quick-add" method="post" action="${base}/companies" hx-post="${base}/companies" hx-target="#company-rows" hx-swap="afterbegin" hx-nonce="${nonce}" aria-label="Add a company">
  ${csrfField(csrfToken)}
  <input type="hidden" name="_fragment" value="row">
  ${textField({ name: "name", label: "Name", form, idPrefix, required: true, maxlength: 200, autocomplete: "off" })}
  ${textField({ name: "domain", label: "Website domain", form, idPrefix, maxlength: 253, placeholder: "acme.com", autocomplete: "off" })}
  ${textField({ name: "city", label: "City", form, idPrefix, maxlength: 100 })}
  ${textField({ name: "country", label: "Country", form, idPrefix, maxlength: 100 })}
  <button type="submit">Add company</button>
  ${formErrors(form, NEW_COMPANY_FIELDS)}
</form>`;
}
