import { type Context, Hono } from "hono";
import { invitationMail } from "../../views/mail/invitation-mail.ts";
import { type UsersPageProps, usersPage } from "../../views/settings/users-page.ts";
import { issueApiKey, listApiKeys, revokeApiKey } from "../auth/api-keys.ts";
import {
  createInvitation,
  INVITATION_DAYS,
  pendingInvitations,
  revokeInvitation,
} from "../auth/invitations.ts";
import { changeRole, removalReach, removeUser, type UserRemoval } from "../auth/manage-users.ts";
import { listUsers } from "../auth/users.ts";
import type { AppDeps, ViewerEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { inPoolWhenLarge } from "../http/in-pool-when-large.ts";
import { formFields, idParam, pageContext } from "../http/page-context.ts";
import { adminOnly } from "../http/role-guards.ts";
import { grantableRoles } from "../identity/roles.ts";
import { actorOf } from "../identity/viewer.ts";
import type { MailDeps } from "../mail/mail-deps.ts";
import { publicLink } from "../mail/public-link.ts";

type C = Context<ViewerEnv>;

/**
 * Settings → Team: the team, invitations and API keys. Members see the team; owners and admins
 * manage it (checked by the services: invitations, API keys, manage-users).
 */
export function usersSettingsRoutes(deps: AppDeps & MailDeps) {
  const app = new Hono<ViewerEnv>();

  const base = (c: C) => `/t/${c.var.tenant.slug}`;

  const render = (c: C, extra: Partial<UsersPageProps> = {}) => {
    const { shard, viewer } = c.var;
    const grantable = grantableRoles(viewer.role);
    return usersPage({
      ctx: pageContext(c, deps),
      base: base(c),
      viewerId: viewer.id,
      users: listUsers(shard),
      invitations: grantable.length ? pendingInvitations(shard, deps.now()) : [],
      apiKeys: grantable.length ? listApiKeys(shard) : [],
      grantable,
      mailOn: deps.mail !== undefined,
      inviteForm: { values: { role: "member" }, errors: {} },
      keyForm: { values: { role: "member" }, errors: {} },
      ...extra,
    }).value;
  };

  /**
   * Runs a management action; a rule it breaks is shown on the page with a 422. With `show`,
   * what it made is shown once (201: a link or key that is never shown again); otherwise the
   * tab is shown afresh (303).
   */
  const manage = async <T>(
    c: C,
    action: (fields: Record<string, string>) => T,
    show?: (made: T) => Partial<UsersPageProps>,
  ) => {
    const fields = await formFields(c);
    const done = await writeFromForm(fields, () => action(fields));
    if (!done.ok) {
      const { form, problems } = done;
      return c.html(render(c, { problem: problems.join("; "), inviteForm: form, keyForm: form }), 422);
    }
    if (show) return c.html(render(c, show(done.value)), 201);
    return c.redirect(`${base(c)}/settings/users`, 303);
  };

  const actor = (c: C) => actorOf(c.var.viewer);

  app.get("/users", (c) => c.html(render(c)));

  app.post("/invitations", adminOnly, (c) =>
    manage(
      c,
      (fields) => createInvitation(c.var.shard, actor(c), fields, deps.now()),
      ({ token, invitation }) => {
        const path = `${base(c)}/invites/${token}`;
        const url = deps.config.publicUrl ? `${deps.config.publicUrl}${path}` : path;
        // The invitation is made whatever becomes of the mail: the link is shown either way,
        // so a mail that bounces or never leaves (logged, retried) loses nothing.
        if (!deps.mail) {
          const label = `Mail is off on this server: send this link to ${invitation.email} yourself.`;
          return { secret: { label, value: url, isPath: !deps.config.publicUrl } };
        }
        const { tenant, viewer } = c.var;
        const message = invitationMail({
          workspaceName: tenant.name,
          inviterName: viewer.kind === "user" ? viewer.name : tenant.name,
          role: invitation.role,
          link: publicLink(deps.config, path),
          days: INVITATION_DAYS,
        });
        deps.mail.enqueue({ to: invitation.email, ...message }, { kind: "invitation", tenant: tenant.slug });
        const label = `We are mailing an invitation to ${invitation.email}. If it does not arrive, send them this link.`;
        return { secret: { label, value: url, isPath: false } };
      },
    ),
  );

  app.post("/invitations/:id/delete", adminOnly, (c) =>
    manage(c, () => revokeInvitation(c.var.shard, actor(c), idParam(c))),
  );

  app.post("/users/:id/role", adminOnly, (c) =>
    manage(c, (fields) => changeRole(c.var.shard, actor(c), idParam(c), fields)),
  );

  app.post("/users/:id/delete", adminOnly, (c) =>
    manage(c, () => {
      // The records they own lose their owner, each logged: a large share runs in a worker.
      const removal: UserRemoval = { actor: actor(c), userId: idParam(c) };
      return inPoolWhenLarge(
        deps,
        c,
        removalReach(c.var.shard, removal.userId),
        "auth.remove-user",
        removal,
        () => removeUser(c.var.shard, removal.actor, removal.userId),
      );
    }),
  );

  app.post("/api-keys", adminOnly, (c) =>
    manage(
      c,
      (fields) => issueApiKey(c.var.shard, actor(c), fields),
      ({ key, record }) => ({
        secret: { label: `API key "${record.name}" created.`, value: key, isPath: false },
      }),
    ),
  );

  app.post("/api-keys/:id/revoke", adminOnly, (c) =>
    manage(c, () => revokeApiKey(c.var.shard, actor(c), idParam(c))),
  );

  return app;
}
