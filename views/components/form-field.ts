import { type Html, html } from "../html.ts";

/** A form's submitted (or stored) values and its errors, by field name. */
export interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
  /** An existing record the form would duplicate: shown with a link and a button to go on anyway. */
  duplicate?: DuplicateNotice;
}

/** The record a submitted form would duplicate ("A contact with this email already exists"). */
export interface DuplicateNotice {
  /** The whole sentence before the link, e.g. "A contact with this email already exists". */
  message: string;
  /** The existing record's page, e.g. `/t/acme/contacts/12`. */
  href: string;
  /** What the link says: the existing record's name. */
  name: string;
}

export const EMPTY_FORM: FormState = { values: {}, errors: {} };

export interface FieldOptions {
  name: string;
  label: string;
  form: FormState;
  /** Keeps ids unique when several forms share a page (e.g. "edit-5"). */
  idPrefix: string;
  type?: "text" | "email" | "tel" | "date" | "time" | "password" | "search" | "url";
  required?: boolean;
  maxlength?: number;
  autocomplete?: string;
  list?: string;
  placeholder?: string;
  /** Extra attributes, built by our own code (e.g. htmx attributes); never user text. */
  extra?: Html;
  /** A line under the input saying what it takes ("Up to 100 characters"), read with it. */
  hint?: string;
}

function errorOf(options: { name: string; form: FormState; idPrefix: string }): {
  id: string;
  message?: string;
} {
  return { id: `${options.idPrefix}-${options.name}-error`, message: options.form.errors[options.name] };
}

function errorText(id: string, message: string | undefined): Html {
  return message ? html`<small class="field-error" id="${id}">${message}</small>` : html``;
}

/** A labelled input with its error, if any, right under it (announced through aria-describedby). */
export function textField(o: FieldOptions): Html {
  const error = errorOf(o);
  const id = `${o.idPrefix}-${o.name}`;
  const hintId = `${id}-hint`;
  const described = [o.hint ? hintId : "", error.message ? error.id : ""].filter(Boolean).join(" ");
  return html`<label class="field${error.message ? " invalid" : ""}" for="${id}"><span>${o.label}</span>
    <input id="${id}" name="${o.name}" type="${o.type ?? "text"}" value="${o.form.values[o.name] ?? ""}"${
      o.required ? html` required` : ""
    }${o.maxlength ? html` maxlength="${o.maxlength}"` : ""}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ""}${
      o.list ? html` list="${o.list}"` : ""
    }${o.placeholder ? html` placeholder="${o.placeholder}"` : ""}${
      error.message ? html` aria-invalid="true"` : ""
    }${described ? html` aria-describedby="${described}"` : ""}${o.extra ?? ""}>
    ${o.hint ? html`<small class="field-hint" id="${hintId}">${o.hint}</small>` : ""}${errorText(error.id, error.message)}</label>`;
}

export interface SelectOption {
  value: string;
  label: string;
}

export function selectField(o: Omit<FieldOptions, "type"> & { options: SelectOption[] }): Html {
  const error = errorOf(o);
  const id = `${o.idPrefix}-${o.name}`;
  const current = o.form.values[o.name] ?? "";
  return html`<label class="field${error.message ? " invalid" : ""}" for="${id}"><span>${o.label}</span>
    <select id="${id}" name="${o.name}"${error.message ? html` aria-invalid="true" aria-describedby="${error.id}"` : ""}>
      ${o.options.map((opt) =>
        opt.value === current
          ? html`<option value="${opt.value}" selected>${opt.label}</option>`
          : html`<option value="${opt.value}">${opt.label}</option>`,
      )}
    </select>
    ${errorText(error.id, error.message)}</label>`;
}

/** Every form that changes something carries the page's CSRF token. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** Errors not tied to one field (or on fields this form does not show). */
export function formErrors(form: FormState, shown: string[]): Html {
  const other = Object.entries(form.errors).filter(([field]) => !shown.includes(field));
  if (!other.length) return html``;
  return html`<ul class="form-errors" role="alert">${other.map(([field, message]) => html`<li>${field}: ${message}</li>`)}</ul>`;
}
