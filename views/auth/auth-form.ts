import { csrfField, type FormState, formErrors } from "../components/form-field.ts";
import { type Html, type HtmlValue, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface AuthFormProps {
  ctx: PageContext;
  title: string;
  intro?: HtmlValue;
  action: string;
  submitLabel: string;
  form: FormState;
  shownFields: string[];
  fields: HtmlValue;
  footer?: HtmlValue;
  /** A message about the whole form (e.g. "email or password is incorrect"). */
  problem?: string;
}

/** The narrow centred card that sign-in, sign-up and invitation pages share. */
export function authFormPage(p: AuthFormProps): Html {
  return page(p.ctx, {
    title: p.title,
    body: html`<section class="auth-card"><h1>${p.title}</h1>${p.intro ? html`<p class="intro">${p.intro}</p>` : ""}${
      p.problem ? html`<p class="flash error" role="alert">${p.problem}</p>` : ""
    }<form method="post" action="${p.action}" novalidate="">${csrfField(p.ctx.csrfToken)}${formErrors(p.form, p.shownFields)}${p.fields}<div class="form-actions"><button type="submit">${p.submitLabel}</button></div></form>${
      p.footer ? html`<p class="footer">${p.footer}</p>` : ""
    }</section>`,
  });
}
