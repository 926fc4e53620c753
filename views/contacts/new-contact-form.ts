import { csrfField, type FormState, formErrors, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

export const NEW_CONTACT_FIELDS = ["firstName", "lastName", "email", "companyName"];

/**
 * Quick add above the list: the row it creates is prepended to the table, and the form comes
 * back empty (or with its errors inline, on a 422).
 */
export function newContactForm(base: string, form: FormState, csrfToken: string, nonce: string): Html {
  const idPrefix = "new-contact";
  return html`<form id="new-contact" class="quick-add" method="post" action="${base}/contacts" hx-post="${base}/contacts" hx-target="#contact-rows" hx-swap="afterbegin" hx-nonce="${nonce}" aria-label="Add a contact">
  ${csrfField(csrfToken)}
  <input type="hidden" name="_fragment" value="row">
  ${textField({ name: "firstName", label: "First name", form, idPrefix, required: true, maxlength: 100, autocomplete: "off" })}
  ${textField({ name: "lastName", label: "Last name", form, idPrefix, maxlength: 100, autocomplete: "off" })}
  ${textField({ name: "email", label: "Email", form, idPrefix, type: "email", maxlength: 254, autocomplete: "off" })}
  ${textField({
    name: "companyName",
    label: "Company",
    form,
    idPrefix,
    maxlength: 200,
    list: "new-contact-companies",
    autocomplete: "off",
    extra: html` hx-get="${base}/companies/options" hx-trigger="input changed delay:250ms" hx-target="#new-contact-companies" hx-swap="innerHTML" hx-nonce="${nonce}"`,
  })}
  <datalist id="new-contact-companies"></datalist>
  <button type="submit">Add contact</button>
  ${formErrors(form, NEW_CONTACT_FIELDS)}
</form>`;
}
