import { type Context, Hono } from "hono";
import { z } from "zod";
import { forgotPasswordPage } from "../../views/auth/forgot-password-page.ts";
import { resetLinkProblemPage, resetPasswordPage } from "../../views/auth/reset-password-page.ts";
import type { FormState } from "../../views/components/form-field.ts";
import { passwordResetMail } from "../../views/mail/password-reset-mail.ts";
import { errorFields } from "../core/logger.ts";
import { emailAddress, parseOrThrow } from "../core/validation.ts";
import type { AppDeps, TenantEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { clientIp } from "../http/https.ts";
import { addressKey } from "../http/middleware/rate-limit.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import type { MailDeps } from "../mail/mail-deps.ts";
import { publicLink } from "../mail/public-link.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { AuthDeps } from "./auth-deps.ts";
import { passwordField } from "./new-tenant-input.ts";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./password-hasher.ts";
import { completePasswordReset, RESET_MINUTES, resetLink } from "./password-resets.ts";
import type { RequestResetParams, RequestResetResult } from "./request-reset.worker.ts";
import { ResetTaskLines } from "./reset-task-lines.ts";
import { sessionToken, setSessionCookie } from "./session-middleware.ts";
import { sessionPolicy, startSession } from "./sessions.ts";

/** A reset mail is queued after MIN + a random part of SPREAD milliseconds (see makeLinkLater). */
const MAIL_DELAY_MIN_MS = 50;
const MAIL_DELAY_SPREAD_MS = 450;

const forgotInput = z.object({ email: emailAddress });
const resetInput = z.object({ password: passwordField });

/**
 * "Forgot password?" (/password-reset) and the link it mails (/password-reset/:token). The
 * answer to a request is the same whether the address has an account or not; a link works
 * once, for RESET_MINUTES, and using it signs the user out everywhere and in here afresh.
 */
export function passwordResetRoutes(deps: AppDeps & AuthDeps & MailDeps) {
  const app = new Hono<TenantEnv>();
  const policy = sessionPolicy(deps.config);
  const workspaceOf = (c: Context<TenantEnv>) => ({ slug: c.var.tenant.slug, name: c.var.tenant.name });

  const forgot = (c: Context<TenantEnv>, form: FormState, extra: { sent?: boolean; problem?: string } = {}) =>
    forgotPasswordPage({
      ctx: pageContext(c, deps),
      workspace: workspaceOf(c),
      mailOn: deps.mail !== undefined,
      sent: extra.sent ?? false,
      form,
      problem: extra.problem,
      minutes: RESET_MINUTES,
    }).value;

  /**
   * Makes the link and queues its mail after the answer has gone out. The lookup and the
   * committed write (a sync to disk) that only a known address costs run in a worker, which
   * opens the tenant's file itself: on the server's thread that write slowed the asker's next
   * request and told who has an account. Both paths cost this thread the same one task.
   * Past the workspace's allowance of reset mails no link is made and no mail sent (logged),
   * while the answer stays the same.
   */
  const lines = new ResetTaskLines();
  const makeLinkLater = (tenant: Tenant, email: string, now: number) => {
    const run = async () => {
      // Asked when its turn comes: one at a time per workspace, so the allowance is never overshot.
      const params: RequestResetParams = { email, now, mayWrite: deps.resetLimiter.mayMail(tenant.id, now) };
      const input = { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params };
      const made = await deps.pool.run<RequestResetResult>("auth.request-reset", input);
      if (!made.found) return;
      if (made.token === undefined) {
        deps.logger.warn("password reset mail not sent: the workspace's hourly allowance is spent", {
          tenant: tenant.slug,
        });
        return;
      }
      deps.resetLimiter.mailed(tenant.id, now);
      // Composing the mail and the SMTP exchange run on this thread, and only for a known
      // address: a random wait moves that cost off the asker's next request, to a moment that
      // cannot be told from the answer.
      const token = made.token;
      const send = () => {
        const link = publicLink(deps.config, `/t/${tenant.slug}/password-reset/${token}`);
        const message = passwordResetMail({
          workspaceName: tenant.name,
          name: made.user.name,
          link,
          minutes: RESET_MINUTES,
        });
        deps.mail?.enqueue(
          { to: made.user.email, ...message },
          { kind: "password-reset", tenant: tenant.slug },
        );
      };
      setTimeout(send, MAIL_DELAY_MIN_MS + Math.random() * MAIL_DELAY_SPREAD_MS);
    };
    const queued = lines.add(tenant.id, run, (error) =>
      deps.logger.error("password reset link not made", { tenant: tenant.slug, ...errorFields(error) }),
    );
    if (!queued)
      deps.logger.warn("password reset request dropped: too many waiting", { tenant: tenant.slug });
  };

  app.get("/password-reset", (c) =>
    c.html(forgot(c, { values: {}, errors: {} }, { sent: c.req.query("sent") === "1" })),
  );

  app.post("/password-reset", async (c) => {
    const { tenant } = c.var;
    if (!deps.mail) return c.html(forgot(c, { values: {}, errors: {} }), 503);
    const fields = await formFields(c);
    const parsed = writeFromForm({ email: fields.email ?? "" }, () => parseOrThrow(forgotInput, fields));
    if (!parsed.ok) return c.html(forgot(c, parsed.form), 422);
    const { email } = parsed.value;
    const now = deps.now();
    const waitMs = deps.resetLimiter.take(tenant.id, email, addressKey(clientIp(c, deps.config)), now);
    if (waitMs > 0) {
      const minutes = Math.ceil(waitMs / 60_000);
      c.header("Retry-After", String(Math.ceil(waitMs / 1000)));
      const problem = `Too many reset requests for this address or from this network lately; try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
      return c.html(forgot(c, { values: { email }, errors: {} }, { problem }), 429);
    }
    makeLinkLater(tenant, email, now);
    return c.redirect(`/t/${tenant.slug}/password-reset?sent=1`, 303);
  });

  /** The link behind the URL: its page, or the page saying why it does not work (410 used or expired, 404 unknown). */
  const linkOf = (c: Context<TenantEnv>) => {
    const token = c.req.param("token") ?? "";
    const link = resetLink(c.var.shard, token, deps.now());
    if (link.state === "open") return { token, link };
    const page = resetLinkProblemPage({
      ctx: pageContext(c, deps),
      workspace: workspaceOf(c),
      state: link.state,
    });
    return { problem: c.html(page.value, link.state === "unknown" ? 404 : 410) };
  };

  const resetPage = (c: Context<TenantEnv>, token: string, email: string, form: FormState) =>
    resetPasswordPage({
      ctx: pageContext(c, deps),
      workspace: workspaceOf(c),
      token,
      email,
      form,
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
    }).value;

  app.get("/password-reset/:token", (c) => {
    const found = linkOf(c);
    if (found.problem) return found.problem;
    return c.html(resetPage(c, found.token, found.link.email, { values: {}, errors: {} }));
  });

  app.post("/password-reset/:token", async (c) => {
    const { tenant, shard } = c.var;
    const found = linkOf(c);
    if (found.problem) return found.problem;
    const fields = await formFields(c);
    const done = await writeFromForm({}, async () => {
      const input = parseOrThrow(resetInput, fields);
      const hash = await deps.hasher.hash(input.password);
      return completePasswordReset(shard, found.link.id, hash, deps.now());
    });
    if (!done.ok) return c.html(resetPage(c, found.token, found.link.email, done.form), 422);
    // Every session of the user is gone (this browser's too, if it had one): one fresh session here.
    const token = startSession(shard, done.value, policy, sessionToken(c), deps.now());
    setSessionCookie(c, deps, tenant.slug, token, policy);
    return c.redirect(`/t/${tenant.slug}/account?done=reset`, 303);
  });

  return app;
}
