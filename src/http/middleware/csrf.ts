import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { ForbiddenError } from "../../core/errors.ts";
import { hmacBase64Url, randomToken, safeEqual } from "../../core/tokens.ts";
import type { Viewer } from "../../identity/viewer.ts";
import type { AppDeps, AppEnv } from "../app-env.ts";
import { isHttps } from "../https.ts";

/** Holds a random value for visitors without a session; the form token is its HMAC. */
export const PRE_AUTH_COOKIE = "crm_csrf";
export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "x-csrf-token";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The CSRF token a form on this page must send back. Signed-in users get their session's
 * token (rotated with the session at login); anyone else gets an HMAC of a random cookie,
 * so a token is useless without the cookie it was made for.
 */
export function csrfTokenFor(c: Context<AppEnv>, deps: AppDeps, viewer: Viewer | undefined): string {
  if (viewer?.kind === "user") return viewer.csrfToken;
  let seed = getCookie(c, PRE_AUTH_COOKIE);
  if (!seed || seed.length < 32) {
    seed = randomToken(32);
    setCookie(c, PRE_AUTH_COOKIE, seed, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c, deps.config),
    });
  }
  return hmacBase64Url(deps.csrfSecret, seed);
}

async function submittedToken(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
    // parseBody caches the parsed form, so the handler reads it again for free.
    const value = (await c.req.parseBody())[CSRF_FIELD];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

function expectedToken(c: Context<AppEnv>, deps: AppDeps, viewer: Viewer | undefined): string | undefined {
  if (viewer?.kind === "user") return viewer.csrfToken;
  const seed = getCookie(c, PRE_AUTH_COOKIE);
  return seed ? hmacBase64Url(deps.csrfSecret, seed) : undefined;
}

/**
 * Rejects every unsafe request from a browser that does not carry the page's CSRF token, in
 * the `_csrf` form field (plain forms) or the X-CSRF-Token header (htmx, set by app.js).
 * Requests a browser marks cross-site are refused before the token is even read.
 */
export function csrfProtection(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async function csrfProtection(c, next) {
    if (UNSAFE_METHODS.has(c.req.method)) {
      if (c.req.header("sec-fetch-site") === "cross-site")
        throw new ForbiddenError("cross-site request refused");
      const viewer = (c as unknown as Context<{ Variables: { viewer?: Viewer } }>).get("viewer");
      const expected = expectedToken(c, deps, viewer);
      const submitted = await submittedToken(c);
      if (!expected || !submitted || !safeEqual(expected, submitted)) {
        throw new ForbiddenError(
          "the form has expired or did not come from this site; reload the page and try again",
        );
      }
    }
    await next();
  };
}
