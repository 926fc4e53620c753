import { type Context, Hono } from "hono";
import { z } from "zod";
import { acceptInvitePage } from "../../views/auth/accept-invite-page.ts";
import type { FormState } from "../../views/components/form-field.ts";
import { NotFoundError } from "../core/errors.ts";
import { parseOrThrow, plainText } from "../core/validation.ts";
import type { AppDeps, TenantEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import type { AuthDeps } from "./auth-deps.ts";
import { acceptInvitation, openInvitation } from "./invitations.ts";
import { passwordField } from "./new-tenant-input.ts";
import type { Invitation } from "./schema.ts";
import { sessionToken, setSessionCookie } from "./session-middleware.ts";
import { sessionPolicy, startSession } from "./sessions.ts";

const acceptInput = z.object({ name: plainText(100).min(1, "is required"), password: passwordField });

/** Accepting an invitation: the invitee picks a name and password and is signed in. */
export function inviteRoutes(deps: AppDeps & AuthDeps) {
  const app = new Hono<TenantEnv>();
  const policy = sessionPolicy(deps.config);

  /** The open invitation behind the URL's token; 404 if it is unknown, used or expired. */
  const invitationOf = (c: Context<TenantEnv>) => {
    const token = c.req.param("token") ?? "";
    const invitation = openInvitation(c.var.shard, token, deps.now());
    if (!invitation) throw new NotFoundError("invitation (it may have expired or been used)");
    return { token, invitation };
  };

  const page = (c: Context<TenantEnv>, token: string, invitation: Invitation, form: FormState) =>
    acceptInvitePage({
      ctx: pageContext(c, deps),
      workspace: { slug: c.var.tenant.slug, name: c.var.tenant.name },
      token,
      email: invitation.email,
      role: invitation.role,
      form,
    }).value;

  app.get("/invites/:token", (c) => {
    const { token, invitation } = invitationOf(c);
    return c.html(page(c, token, invitation, { values: {}, errors: {} }));
  });

  app.post("/invites/:token", async (c) => {
    const { tenant, shard } = c.var;
    const { token, invitation } = invitationOf(c);
    const fields = await formFields(c);
    // The password is never shown back: only the name is.
    const accepted = await writeFromForm({ name: fields.name ?? "" }, async () => {
      const input = parseOrThrow(acceptInput, fields);
      const passwordHash = await deps.hasher.hash(input.password);
      const now = deps.now();
      return { user: acceptInvitation(shard, invitation, { name: input.name, passwordHash }, now), now };
    });
    if (!accepted.ok) return c.html(page(c, token, invitation, accepted.form), 422);
    const { user, now } = accepted.value;
    const session = startSession(shard, user.id, policy, sessionToken(c), now);
    setSessionCookie(c, deps, tenant.slug, session, policy);
    return c.redirect(`/t/${tenant.slug}/contacts`, 303);
  });

  return app;
}
