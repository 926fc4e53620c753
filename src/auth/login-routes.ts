import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { loginPage } from "../../views/auth/login-page.ts";
import { emailAddress, parseOrThrow, textProblem } from "../core/validation.ts";
import type { AppDeps, TenantEnv } from "../http/app-env.ts";
import { writeFromForm } from "../http/form-write.ts";
import { clientIp, isHttps } from "../http/https.ts";
import { formFields, pageContext } from "../http/page-context.ts";
import type { AuthDeps } from "./auth-deps.ts";
import { deviceToken, knownDevice } from "./device-tokens.ts";
import { PASSWORD_MAX_LENGTH } from "./password-hasher.ts";
import { clearSessionCookie, sessionToken, setSessionCookie } from "./session-middleware.ts";
import { endSession, sessionPolicy, startSession } from "./sessions.ts";
import { credentialsFor } from "./users.ts";

const loginInput = z.object({
  email: emailAddress,
  password: z.string().min(1, "is required").max(PASSWORD_MAX_LENGTH),
});

/**
 * Only a path inside this workspace may be returned to after sign-in: never another site,
 * never another workspace, and never one with control characters (a CR or LF would split the
 * Location header).
 */
function safeNext(slug: string, next: string | undefined): string {
  const home = `/t/${slug}/contacts`;
  if (!next?.startsWith(`/t/${slug}/`) || next.includes("//") || next.includes("\\")) return home;
  return textProblem(next) ? home : next;
}

const DEVICE_COOKIE = "crm_device";

/** Marks this browser as a device the user signed in from, for the workspace's paths only. */
function setDeviceCookie(c: Context<TenantEnv>, deps: AppDeps, token: string, maxAgeMs: number): void {
  setCookie(c, DEVICE_COOKIE, token, {
    path: `/t/${c.var.tenant.slug}`,
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c, deps.config),
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

/**
 * Sign in and sign out of a workspace. A browser that signs in is remembered as a device of
 * that account (crm_device: signed, HttpOnly, this workspace's paths, CRM_LOGIN_DEVICE_DAYS),
 * which keeps its sign-in working while the account is throttled for guessers elsewhere.
 */
export function loginRoutes(deps: AppDeps & AuthDeps) {
  const app = new Hono<TenantEnv>();
  const policy = sessionPolicy(deps.config);
  const deviceSecret = deps.secret("device-cookie-secret");
  const deviceMaxAgeMs = deps.config.loginDeviceDays * 86_400_000;

  const render = (
    c: Context<TenantEnv>,
    values: Record<string, string>,
    errors: Record<string, string>,
    problem?: string,
  ) =>
    loginPage({
      ctx: pageContext(c, deps),
      workspace: { slug: c.var.tenant.slug, name: c.var.tenant.name },
      form: { values, errors },
      next: safeNext(c.var.tenant.slug, values.next),
      problem,
    }).value;

  app.get("/login", (c) => {
    if (c.var.viewer) return c.redirect(safeNext(c.var.tenant.slug, c.req.query("next")), 303);
    return c.html(render(c, { next: c.req.query("next") ?? "" }, {}));
  });

  app.post("/login", async (c) => {
    const { tenant, shard } = c.var;
    const fields = await formFields(c);
    const parsed = writeFromForm(fields, () => parseOrThrow(loginInput, fields));
    if (!parsed.ok) return c.html(render(c, fields, parsed.form.errors), 422);
    const input = parsed.value;
    const user = credentialsFor(shard, input.email);
    const device = knownDevice(
      deviceSecret,
      tenant.id,
      getCookie(c, DEVICE_COOKIE),
      deviceMaxAgeMs,
      deps.now(),
    );
    const settle = deps.loginLimiter.attempt(
      {
        tenantId: tenant.id,
        email: input.email,
        ip: clientIp(c, deps.config),
        device: device && user && device.userId === user.id ? device.id : undefined,
      },
      deps.now(),
    );
    let ok = false;
    try {
      // An unknown email is checked against a decoy hash, so the time taken does not tell.
      ok = (await deps.hasher.verify(input.password, user?.hash)) && user !== undefined;
    } finally {
      settle(ok, deps.now());
    }
    if (!ok || !user) {
      return c.html(
        render(c, { email: input.email, next: fields.next ?? "" }, {}, "The email or password is incorrect."),
        401,
      );
    }
    const now = deps.now();
    const token = startSession(shard, user.id, policy, sessionToken(c), now);
    setSessionCookie(c, deps, tenant.slug, token, policy);
    setDeviceCookie(c, deps, deviceToken(deviceSecret, tenant.id, user.id, now), deviceMaxAgeMs);
    return c.redirect(safeNext(tenant.slug, fields.next), 303);
  });

  app.post("/logout", (c) => {
    const token = sessionToken(c);
    if (token) endSession(c.var.shard, token);
    clearSessionCookie(c);
    // Pages are stored privately for revalidation (conditionalPage): leave none behind.
    c.header("Clear-Site-Data", '"cache"');
    return c.redirect(`/t/${c.var.tenant.slug}/login`, 303);
  });

  return app;
}
