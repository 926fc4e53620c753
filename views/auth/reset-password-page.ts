import { type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { authFormPage } from "./auth-form.ts";

export interface ResetPasswordPageProps {
  ctx: PageContext;
  workspace: { slug: string; name: string };
  token: string;
  email: string;
  form: FormState;
  minLength: number;
  maxLength: number;
}

/** The page a reset link opens: a new password for the account it was sent to. */
export function resetPasswordPage(p: ResetPasswordPageProps): Html {
  return authFormPage({
    ctx: p.ctx,
    title: "Choose a new password",
    intro: html`For <strong>${p.email}</strong> in ${p.workspace.name}. You will be signed out everywhere else.`,
    action: `/t/${p.workspace.slug}/password-reset/${p.token}`,
    submitLabel: "Set password and sign in",
    form: p.form,
    shownFields: ["password"],
    fields: textField({
      name: "password",
      label: `New password (${p.minLength} to ${p.maxLength} characters)`,
      form: { values: {}, errors: p.form.errors },
      idPrefix: "reset",
      type: "password",
      required: true,
      maxlength: p.maxLength,
      autocomplete: "new-password",
    }),
  });
}

export interface ResetLinkProblemPageProps {
  ctx: PageContext;
  workspace: { slug: string; name: string };
  state: "used" | "expired" | "unknown";
}

const WHY = {
  used: { title: "This link was already used", text: "A reset link works once." },
  expired: { title: "This link has expired", text: "A reset link works for an hour." },
  unknown: {
    title: "This link is not valid",
    text: "It may be mistyped, cut short, or replaced by a newer one.",
  },
} as const;

/** A used, expired or unknown reset link: says which, and how to get a new one. */
export function resetLinkProblemPage(p: ResetLinkProblemPageProps): Html {
  const base = `/t/${p.workspace.slug}`;
  const why = WHY[p.state];
  return page(p.ctx, {
    title: why.title,
    body: html`<section class="auth-card"><h1>${why.title}</h1><p>${why.text} Your password for ${p.workspace.name} has not been changed by it.</p><p><a href="${base}/password-reset">Ask for a new link</a> · <a href="${base}/login">Sign in</a></p></section>`,
  });
}
