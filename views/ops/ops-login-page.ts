import { authFormPage } from "../auth/auth-form.ts";
import { type FormState, textField } from "../components/form-field.ts";
import type { Html } from "../html.ts";
import type { PageContext } from "../layouts/page-context.ts";

export interface OpsLoginPageProps {
  ctx: PageContext;
  form: FormState;
  problem?: string;
}

/** The operators' sign-in (accounts made by `crm operators add`), separate from every workspace's. */
export function opsLoginPage(p: OpsLoginPageProps): Html {
  return authFormPage({
    ctx: p.ctx,
    title: "Operator sign-in",
    intro: "For the host's operators (crm operators add). Workspace accounts do not work here.",
    action: "/ops/login",
    submitLabel: "Sign in",
    form: p.form,
    shownFields: ["email", "password"],
    problem: p.problem,
    fields: [
      textField({
        name: "email",
        label: "Email",
        form: p.form,
        idPrefix: "ops-login",
        type: "email",
        required: true,
        autocomplete: "username",
      }),
      textField({
        name: "password",
        label: "Password",
        form: { values: {}, errors: p.form.errors },
        idPrefix: "ops-login",
        type: "password",
        required: true,
        autocomplete: "current-password",
      }),
    ],
  });
}
