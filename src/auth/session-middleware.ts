import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { UnauthorizedError } from "../core/errors.ts";
import type { AppDeps, TenantEnv, ViewerEnv } from "../http/app-env.ts";
import { isHttps } from "../http/https.ts";
import { type SessionPolicy, sessionPolicy, viewerForSession } from "./sessions.ts";

export const SESSION_COOKIE = "crm_session";

/** The cookie is scoped to the workspace's path, so a browser never sends one workspace's session to another. */
function cookiePath(c: Context<TenantEnv>): string {
  return `/t/${c.var.tenant.slug}`;
}

export function sessionToken(c: Context<TenantEnv>): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export function setSessionCookie(
  c: Context,
  deps: AppDeps,
  slug: string,
  token: string,
  policy: SessionPolicy,
): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: `/t/${slug}`,
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c, deps.config),
    maxAge: Math.floor(policy.maxAgeMs / 1000),
  });
}

export function clearSessionCookie(c: Context<TenantEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: cookiePath(c) });
}

/** Sets `viewer` when the request carries a live session cookie for this workspace. */
export function loadSession(deps: AppDeps): MiddlewareHandler<TenantEnv> {
  const policy = sessionPolicy(deps.config);
  return async function loadSession(c, next) {
    const token = sessionToken(c);
    if (token) {
      const viewer = viewerForSession(c.var.shard, token, policy, deps.now());
      if (viewer) c.set("viewer", viewer);
      else clearSessionCookie(c);
    }
    await next();
  };
}

/** Lets only signed-in users through; others are sent to the login page by onError. */
export const requireSignedIn: MiddlewareHandler<ViewerEnv> = async function requireSignedIn(c, next) {
  if (c.var.viewer?.kind !== "user") throw new UnauthorizedError("please sign in");
  await next();
};
