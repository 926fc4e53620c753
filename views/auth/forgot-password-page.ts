import { type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { authFormPage } from "./auth-form.ts";

export interface ForgotPasswordPageProps {
  ctx: PageContext;
  workspace: { slug: string; name: string };
  /** Mail is off on this server (no CRM_SMTP_URL): no form, the page says whom to ask. */
  mailOn: boolean;
  /** The request was taken: the same words whether the address has an account or not. */
  sent: boolean;
  form: FormState;
  problem?: string;
  minutes: number;
}

/** "Forgot password?": asks for the email, then says a link was sent if the account exists. */
export function forgotPasswordPage(p: ForgotPasswordPageProps): Html {
  const base = `/t/${p.workspace.slug}`;
  const back = html`<a href="${base}/login">Back to sign in</a>`;
  const title = `Reset your password for ${p.workspace.name}`;
  if (!p.mailOn || p.sent)
    return page(p.ctx, {
      title,
      body: html`<section class="auth-card"><h1>${title}</h1>${
        p.mailOn
          ? html`<p class="flash notice" role="status">If an account with that email exists in ${p.workspace.name}, we have sent it a link to choose a new password. The link works once, for ${p.minutes} minutes. Nothing arrived? Look in the spam folder, or ask again in a few minutes.</p>`
          : html`<p class="flash notice" role="status">Mail is off on this server, so password reset by mail is off. Ask the owner of ${p.workspace.name} for help.</p>`
      }<p class="footer">${back}</p></section>`,
    });
  return authFormPage({
    ctx: p.ctx,
    title,
    intro: "Type the email you sign in with. We will mail you a link to choose a new password.",
    action: `${base}/password-reset`,
    submitLabel: "Send the link",
    form: p.form,
    shownFields: ["email"],
    problem: p.problem,
    fields: textField({
      name: "email",
      label: "Email",
      form: p.form,
      idPrefix: "reset",
      type: "email",
      required: true,
      autocomplete: "username",
    }),
    footer: back,
  });
}
