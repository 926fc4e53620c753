import { type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { authFormPage } from "./auth-form.ts";

export interface LoginPageProps {
  ctx: PageContext;
  workspace: { slug: string; name: string };
  form: FormState;
  next: string;
  problem?: string;
}

export function loginPage(p: LoginPageProps): Html {
  const { form } = p;
  return authFormPage({
    ctx: p.ctx,
    title: `Sign in to ${p.workspace.name}`,
    action: `/t/${p.workspace.slug}/login`,
    submitLabel: "Sign in",
    form,
    shownFields: ["email", "password"],
    problem: p.problem,
    fields: html`<input type="hidden" name="next" value="${p.next}">
      ${textField({ name: "email", label: "Email", form, idPrefix: "login", type: "email", required: true, autocomplete: "username" })}
      ${textField({ name: "password", label: "Password", form: { values: {}, errors: form.errors }, idPrefix: "login", type: "password", required: true, autocomplete: "current-password" })}`,
    footer: html`<a href="/t/${p.workspace.slug}/password-reset">Forgot password?</a> · New here? <a href="/signup">Create a workspace</a>.`,
  });
}
