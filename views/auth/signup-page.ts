import { type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { authFormPage } from "./auth-form.ts";

export const SIGNUP_FIELDS = ["name", "slug", "ownerName", "ownerEmail", "ownerPassword"];

export function signupPage(p: { ctx: PageContext; form: FormState }): Html {
  const { form } = p;
  const idPrefix = "signup";
  return authFormPage({
    ctx: p.ctx,
    title: "Create your workspace",
    intro: html`Your team&#39;s contacts and companies, in a workspace of its own.`,
    action: "/signup",
    submitLabel: "Create workspace",
    form,
    shownFields: SIGNUP_FIELDS,
    fields: html`${textField({ name: "name", label: "Business name", form, idPrefix, required: true, maxlength: 100, autocomplete: "organization" })}
      ${textField({ name: "slug", label: "Workspace address (/t/…)", form, idPrefix, required: true, maxlength: 40, placeholder: "acme", autocomplete: "off" })}
      ${textField({ name: "ownerName", label: "Your name", form, idPrefix, required: true, maxlength: 100, autocomplete: "name" })}
      ${textField({ name: "ownerEmail", label: "Your email", form, idPrefix, type: "email", required: true, autocomplete: "email" })}
      ${textField({ name: "ownerPassword", label: "Password (10 characters or more)", form: { values: {}, errors: form.errors }, idPrefix, type: "password", required: true, autocomplete: "new-password" })}`,
  });
}
