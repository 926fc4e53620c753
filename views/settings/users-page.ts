import type { ApiKey, Invitation } from "../../src/auth/schema.ts";
import type { UserSummary } from "../../src/auth/users.ts";
import type { Role } from "../../src/identity/roles.ts";
import { csrfField, type FormState, selectField, textField } from "../components/form-field.ts";
import { formatDateTime } from "../components/format.ts";
import { type Html, type HtmlValue, html, join } from "../html.ts";
import { page } from "../layouts/page.ts";
import type { PageContext } from "../layouts/page-context.ts";
import { settingsNav } from "./settings-nav.ts";

export interface UsersPageProps {
  ctx: PageContext;
  base: string;
  viewerId: number;
  users: UserSummary[];
  invitations: Invitation[];
  apiKeys: ApiKey[];
  /** Roles the viewer may grant; empty for members and read-only users, who only see the team. */
  grantable: Role[];
  inviteForm: FormState;
  keyForm: FormState;
  /** A secret shown once, right after it was made: an invitation link or an API key. */
  secret?: { label: string; value: string; isPath: boolean };
  problem?: string;
  /** Whether this server sends mail (CRM_SMTP_URL): invitations are mailed, else only shown as links. */
  mailOn?: boolean;
}

const roleOptions = (roles: Role[]) => roles.map((r) => ({ value: r, label: r }));

function postButton(action: string, label: string, csrfToken: string, extra: HtmlValue = ""): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(csrfToken)}${extra}<button type="submit" class="link">${label}</button></form>`;
}

function secretBox(secret: NonNullable<UsersPageProps["secret"]>): Html {
  return html`<div class="secret" role="status"><p>${secret.label} It is shown only this once.</p><input class="secret-value" readonly value="${secret.value}" aria-label="${secret.label}"${secret.isPath ? html` data-prefix-origin` : ""}></div>`;
}

/** The role menu and remove button on a teammate's row, for those who may change them. */
function userActions(p: UsersPageProps, u: UserSummary): HtmlValue {
  if (u.id === p.viewerId || !p.grantable.includes(u.role)) return "";
  const token = p.ctx.csrfToken;
  const options = p.grantable.map((r) =>
    r === u.role ? html`<option selected>${r}</option>` : html`<option>${r}</option>`,
  );
  return html`<span class="actions"><form method="post" action="${p.base}/settings/users/${u.id}/role" class="inline">${csrfField(token)}<select name="role" aria-label="Role for ${u.name}">${options}</select><button type="submit" class="link">Set role</button></form>${postButton(`${p.base}/settings/users/${u.id}/delete`, "Remove", token)}</span>`;
}

function teamTable(p: UsersPageProps, manage: boolean): Html {
  const rows = p.users.map(
    (u) =>
      html`<tr id="user-${u.id}"><td>${u.name}</td><td>${u.email}</td><td>${u.role}</td>${manage ? html`<td>${userActions(p, u)}</td>` : ""}</tr>`,
  );
  return html`<table class="list"><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th>${
    manage ? html`<th scope="col">Change</th>` : ""
  }</tr></thead><tbody>${join(rows)}</tbody></table>`;
}

function invitations(p: UsersPageProps): Html {
  const token = p.ctx.csrfToken;
  const form = html`<h2>Invite someone</h2><form method="post" action="${p.base}/settings/invitations" class="inline-form">${csrfField(token)}${textField(
    { name: "email", label: "Email", form: p.inviteForm, idPrefix: "invite", type: "email", required: true },
  )}${selectField({
    name: "role",
    label: "Role",
    form: p.inviteForm,
    idPrefix: "invite",
    options: roleOptions(p.grantable),
  })}<div class="form-actions"><button type="submit">${p.mailOn ? "Send invitation" : "Create invitation link"}</button></div></form>${
    p.mailOn
      ? html`<p class="hint">The invitation is mailed, and its link shown here once as well.</p>`
      : html`<p class="hint mail-off">Mail is off on this server: you get a link to send yourself.</p>`
  }`;
  if (p.invitations.length === 0) return form;
  const pending = p.invitations.map(
    (i) =>
      html`<li>${i.email} · ${i.role} · expires ${formatDateTime(i.expiresAt)} ${postButton(`${p.base}/settings/invitations/${i.id}/delete`, "Revoke", token)}</li>`,
  );
  return html`${form}<h3>Pending invitations</h3><ul class="plain">${join(pending)}</ul>`;
}

function apiKeys(p: UsersPageProps): Html {
  const token = p.ctx.csrfToken;
  const form = html`<h2>API keys</h2><p class="hint">Integrations call <code>/api/v1/t/…</code> with <code>Authorization: Bearer &lt;key&gt;</code>. A key acts with the role you give it.</p><form method="post" action="${p.base}/settings/api-keys" class="inline-form">${csrfField(token)}${textField(
    {
      name: "name",
      label: "Name",
      form: p.keyForm,
      idPrefix: "key",
      required: true,
      maxlength: 100,
      placeholder: "Website form",
    },
  )}${selectField({
    name: "role",
    label: "Role",
    form: p.keyForm,
    idPrefix: "key",
    options: roleOptions(p.grantable),
  })}<div class="form-actions"><button type="submit">Create API key</button></div></form>`;
  if (p.apiKeys.length === 0) return form;
  const rows = p.apiKeys.map(
    (k) =>
      html`<tr><td>${k.name}</td><td><code>${k.prefix}…</code></td><td>${k.role}</td><td>${k.lastUsedAt ? formatDateTime(k.lastUsedAt) : "never"}</td><td>${
        k.revokedAt
          ? `revoked ${formatDateTime(k.revokedAt)}`
          : postButton(`${p.base}/settings/api-keys/${k.id}/revoke`, "Revoke", token)
      }</td></tr>`,
  );
  return html`${form}<table class="list"><thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Role</th><th scope="col">Last used</th><th scope="col">Status</th></tr></thead><tbody>${join(rows)}</tbody></table>`;
}

/** Settings → Team: who is in the workspace, invitations, and API keys. */
export function usersPage(p: UsersPageProps): Html {
  const manage = p.grantable.length > 0;
  return page(p.ctx, {
    title: "Team",
    nav: "settings",
    body: html`<section class="settings">${settingsNav(p.base, "users")}<h1>Team</h1>${
      p.problem ? html`<p class="flash error" role="alert">${p.problem}</p>` : ""
    }${p.secret ? secretBox(p.secret) : ""}${teamTable(p, manage)}${manage ? html`${invitations(p)}${apiKeys(p)}` : ""}</section>`,
  });
}
