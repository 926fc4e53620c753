import { type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";

/**
 * The company typed by name on a contact's or a deal's form, suggested as you type from the
 * workspace's companies (into `<datalist id="<idPrefix>-companies">`, which the form places).
 */
export function companyNameField(p: {
  form: FormState;
  idPrefix: string;
  base: string;
  nonce: string;
}): Html {
  const listId = `${p.idPrefix}-companies`;
  return textField({
    name: "companyName",
    label: "Company",
    form: p.form,
    idPrefix: p.idPrefix,
    maxlength: 200,
    list: listId,
    autocomplete: "off",
    extra: html` hx-get="${p.base}/companies/options" hx-trigger="input changed delay:250ms" hx-target="#${listId}" hx-swap="innerHTML" hx-nonce="${p.nonce}"`,
  });
}
