import { csrfField, type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";

export type AccountNotice = "name" | "password" | "reset";

export interface AccountPageProps {
  ctx: PageContext;
  base: string;
  email: string;
  role: string;
  nameForm: FormState;
  passwordForm: FormState;
  done?: AccountNotice;
  nameMaxLength: number;
  passwordMinLength: number;
  passwordMaxLength: number;
}

const NOTICES: Record<AccountNotice, string> = {
  name: "Your name was changed.",
  password: "Your password was changed. You were signed out everywhere else.",
  reset: "Your new password is set. You were signed out everywhere else.",
};

/** The signed-in user's own settings: their name and their password (each its own form). */
export function accountPage(p: AccountPageProps): Html {
  const token = p.ctx.csrfToken;
  const pw = p.passwordForm;
  const rules = `${p.passwordMinLength} to ${p.passwordMaxLength} characters`;
  return page(p.ctx, {
    title: "Your account",
    flash: p.done ? html`<p class="flash notice">${NOTICES[p.done]}</p>` : "",
    body: html`<section class="account-page"><h1>Your account</h1>
      <p>Signed in as <strong>${p.email}</strong> (${p.role}).</p>
      <h2 id="account-name-heading">Name</h2>
      <form method="post" action="${p.base}/account/name" aria-labelledby="account-name-heading" novalidate="">${csrfField(token)}
        ${textField({ name: "name", label: `Your name (up to ${p.nameMaxLength} characters)`, form: p.nameForm, idPrefix: "account", required: true, maxlength: p.nameMaxLength, autocomplete: "name" })}
        <div class="form-actions"><button type="submit">Save name</button></div>
      </form>
      <h2 id="account-password-heading">Password</h2>
      <form method="post" action="${p.base}/account/password" aria-labelledby="account-password-heading" novalidate="">${csrfField(token)}
        ${textField({ name: "currentPassword", label: "Current password", form: { values: {}, errors: pw.errors }, idPrefix: "account", type: "password", required: true, autocomplete: "current-password" })}
        ${textField({ name: "newPassword", label: `New password (${rules})`, form: { values: {}, errors: pw.errors }, idPrefix: "account", type: "password", required: true, maxlength: p.passwordMaxLength, autocomplete: "new-password" })}
        <p class="hint">Changing it signs you out on every other browser and device.</p>
        <div class="form-actions"><button type="submit">Change password</button></div>
      </form></section>`,
  });
}
