import { type FormState, textField } from "../components/form-field.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { authFormPage } from "./auth-form.ts";

export interface AcceptInvitePageProps {
  ctx: PageContext;
  workspace: { slug: string; name: string };
  token: string;
  email: string;
  role: string;
  form: FormState;
}

export function acceptInvitePage(p: AcceptInvitePageProps): Html {
  const { form } = p;
  return authFormPage({
    ctx: p.ctx,
    title: `Join ${p.workspace.name}`,
    intro: html`You were invited as <strong>${p.email}</strong> (${p.role}). Choose your name and a password.`,
    action: `/t/${p.workspace.slug}/invites/${p.token}`,
    submitLabel: "Join workspace",
    form,
    shownFields: ["name", "password"],
    fields: html`${textField({ name: "name", label: "Your name", form, idPrefix: "invite", required: true, maxlength: 100, autocomplete: "name" })}
      ${textField({ name: "password", label: "Password (10 characters or more)", form: { values: {}, errors: form.errors }, idPrefix: "invite", type: "password", required: true, autocomplete: "new-password" })}`,
  });
}
